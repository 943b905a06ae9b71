import { formatDefinitionPath } from './definition-path';
import type { ProcedureDefinition, StepDefinition } from './procedure-definition';
import { unifiedLineDiff } from './unified-line-diff';

export interface DefinitionChange {
  /**
   * Field path. Steps are addressed by name, not position (`steps.restart.run`), so inserting a
   * step does not make every later step look changed; a reordering is reported once at `steps`.
   */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
  /** For multi-line text such as a step's script: a unified line diff of `before` → `after`. */
  diff?: string;
}

/**
 * What a new version changes, for reviewers: one entry per added, removed or changed field,
 * in definition order, with a line diff wherever a script (or other multi-line text) changed.
 */
export function diffDefinitions(before: ProcedureDefinition, after: ProcedureDefinition): DefinitionChange[] {
  const changes: DefinitionChange[] = [];
  compareValues(before, after, [], changes);
  return changes;
}

type Segments = PropertyKey[];

function compareValues(before: unknown, after: unknown, segments: Segments, changes: DefinitionChange[]): void {
  if (segments.length === 1 && segments[0] === 'steps' && Array.isArray(before) && Array.isArray(after)) {
    compareSteps(before as StepDefinition[], after as StepDefinition[], changes);
    return;
  }
  if (isRecord(before) && isRecord(after)) {
    if (segments.length === 1 && segments[0] === 'parameters') compareOrder(Object.keys(before), Object.keys(after), segments, changes);
    compareRecords(before, after, segments, changes);
    return;
  }
  if (isDeepEqual(before, after)) return;
  const change: DefinitionChange = { path: formatDefinitionPath(segments), kind: 'changed', before: clone(before), after: clone(after) };
  if (typeof before === 'string' && typeof after === 'string' && (before.includes('\n') || after.includes('\n'))) {
    change.diff = unifiedLineDiff(before, after);
  }
  changes.push(change);
}

function compareRecords(before: Record<string, unknown>, after: Record<string, unknown>, segments: Segments, changes: DefinitionChange[]): void {
  for (const key of Object.keys(before)) {
    const path = [...segments, key];
    if (!Object.hasOwn(after, key)) {
      changes.push(removal(path, before[key]));
    } else {
      compareValues(before[key], after[key], path, changes);
    }
  }
  for (const key of Object.keys(after)) {
    if (!Object.hasOwn(before, key)) changes.push(addition([...segments, key], after[key]));
  }
}

function compareSteps(before: readonly StepDefinition[], after: readonly StepDefinition[], changes: DefinitionChange[]): void {
  compareOrder(before.map((step) => step.name), after.map((step) => step.name), ['steps'], changes);
  const afterByName = new Map(after.map((step) => [step.name, step]));
  const beforeNames = new Set(before.map((step) => step.name));
  for (const step of before) {
    const counterpart = afterByName.get(step.name);
    if (counterpart === undefined) changes.push(removal(['steps', step.name], step));
    else compareRecords(asRecord(step), asRecord(counterpart), ['steps', step.name], changes);
  }
  for (const step of after) {
    if (!beforeNames.has(step.name)) changes.push(addition(['steps', step.name], step));
  }
}

/** Reports a reordering of the entries both sides share (additions and removals are reported on their own). */
function compareOrder(before: readonly string[], after: readonly string[], segments: Segments, changes: DefinitionChange[]): void {
  const shared = new Set(before.filter((name) => after.includes(name)));
  const beforeOrder = before.filter((name) => shared.has(name));
  const afterOrder = after.filter((name) => shared.has(name));
  if (!isDeepEqual(beforeOrder, afterOrder)) {
    changes.push({ path: formatDefinitionPath(segments), kind: 'changed', before: [...before], after: [...after] });
  }
}

function removal(segments: Segments, value: unknown): DefinitionChange {
  return { path: formatDefinitionPath(segments), kind: 'removed', before: clone(value) };
}

function addition(segments: Segments, value: unknown): DefinitionChange {
  return { path: formatDefinitionPath(segments), kind: 'added', after: clone(value) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asRecord(step: StepDefinition): Record<string, unknown> {
  return { ...step };
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => isDeepEqual(item, b[index]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && isDeepEqual(a[key], b[key]));
  }
  return false;
}

function clone(value: unknown): unknown {
  return value === undefined ? undefined : structuredClone(value);
}
