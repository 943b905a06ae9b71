import { yaml } from '@codemirror/lang-yaml';
import { useComputedColorScheme } from '@mantine/core';
import CodeMirror, {
  Decoration, type DecorationSet, EditorView, type Extension, gutter, GutterMarker, RangeSet, StateEffect, StateField,
} from '@uiw/react-codemirror';
import { type ReactNode, type RefObject, useEffect, useMemo, useRef } from 'react';

/** A problem to show at a line of the definition (1-based). */
export interface EditorProblem {
  line: number;
  message: string;
}

interface PlacedProblem {
  pos: number;
  message: string;
}

const setProblems = StateEffect.define<EditorProblem[]>();

/** Problems are placed at their line's start and then follow edits, so they stay on the right text. */
const problemsField = StateField.define<PlacedProblem[]>({
  create: () => [],
  update(value, transaction) {
    let next = transaction.docChanged ? value.map((p) => ({ ...p, pos: transaction.changes.mapPos(p.pos) })) : value;
    for (const effect of transaction.effects) {
      if (!effect.is(setProblems)) continue;
      const doc = transaction.state.doc;
      next = effect.value.map((problem) => ({ pos: doc.line(Math.min(Math.max(1, problem.line), doc.lines)).from, message: problem.message }));
    }
    return next;
  },
});

function byLine(view: EditorView | { state: EditorView['state'] }, problems: PlacedProblem[]): Map<number, { from: number; messages: string[] }> {
  const lines = new Map<number, { from: number; messages: string[] }>();
  for (const problem of problems) {
    const line = view.state.doc.lineAt(Math.min(problem.pos, view.state.doc.length));
    const entry = lines.get(line.number) ?? { from: line.from, messages: [] };
    entry.messages.push(problem.message);
    lines.set(line.number, entry);
  }
  return new Map([...lines.entries()].sort(([a], [b]) => a - b));
}

const problemLines = EditorView.decorations.compute([problemsField], (state): DecorationSet => {
  const lines = byLine({ state } as { state: EditorView['state'] }, state.field(problemsField));
  return Decoration.set([...lines.values()].map(({ from, messages }) => Decoration.line({ class: 'cm-error-line', attributes: { title: messages.join('\n') } }).range(from)));
});

class ProblemMarker extends GutterMarker {
  constructor(private readonly messages: string[]) {
    super();
  }
  override eq(other: GutterMarker): boolean {
    return other instanceof ProblemMarker && other.messages.join('\n') === this.messages.join('\n');
  }
  override toDOM(): Node {
    // Built with textContent: server messages may quote the definition and are never markup.
    const marker = document.createElement('span');
    marker.className = 'cm-error-marker';
    marker.textContent = '●';
    marker.title = this.messages.join('\n');
    marker.setAttribute('aria-label', `Problem: ${this.messages.join('; ')}`);
    return marker;
  }
}

const problemGutter = gutter({
  class: 'cm-problem-gutter',
  markers: (view) => {
    const lines = byLine(view, view.state.field(problemsField));
    return RangeSet.of([...lines.values()].map(({ from, messages }) => new ProblemMarker(messages).range(from)));
  },
  lineMarkerChange: (update) => update.transactions.some((t) => t.effects.some((e) => e.is(setProblems))) || update.docChanged,
  initialSpacer: () => new ProblemMarker(['']),
});

const NO_PROBLEMS: EditorProblem[] = [];

interface Props {
  value: string;
  onChange?: (value: string) => void;
  problems?: EditorProblem[];
  readOnly?: boolean;
  height?: string;
  label: string;
  viewRef?: RefObject<EditorView | null>;
}

/** The YAML editor (CodeMirror) with problems marked in the gutter and on their lines. */
export function YamlEditor({ value, onChange, problems = NO_PROBLEMS, readOnly = false, height = '520px', label, viewRef }: Props): ReactNode {
  const scheme = useComputedColorScheme('light');
  const localView = useRef<EditorView | null>(null);
  const extensions = useMemo<Extension[]>(
    () => [yaml(), problemsField, problemLines, problemGutter, EditorView.lineWrapping, EditorView.contentAttributes.of({ 'aria-label': label })],
    [label],
  );
  useEffect(() => {
    localView.current?.dispatch({ effects: setProblems.of(problems) });
  }, [problems]);
  return (
    <CodeMirror
      value={value}
      onChange={onChange}
      extensions={extensions}
      theme={scheme === 'dark' ? 'dark' : 'light'}
      height={height}
      readOnly={readOnly}
      editable={!readOnly}
      basicSetup={{ foldGutter: true, highlightActiveLine: !readOnly, autocompletion: false }}
      onCreateEditor={(view) => {
        localView.current = view;
        if (viewRef) viewRef.current = view;
        view.dispatch({ effects: setProblems.of(problems) });
      }}
      style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 'var(--mantine-radius-md)', overflow: 'hidden', fontSize: 13 }}
    />
  );
}

/** Moves the cursor to a line and scrolls it into view. */
export function jumpToLine(view: EditorView | null, line: number): void {
  if (!view) return;
  const target = view.state.doc.line(Math.min(Math.max(1, line), view.state.doc.lines));
  view.dispatch({ selection: { anchor: target.from }, effects: EditorView.scrollIntoView(target.from, { y: 'center' }) });
  view.focus();
}
