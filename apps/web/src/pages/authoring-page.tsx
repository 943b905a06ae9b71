import { Alert, Anchor, Badge, Button, Grid, Group, List, Paper, Stack, Text, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { EditorView } from '@uiw/react-codemirror';
import { type ReactNode, useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { submitVersion } from '../api/approvals';
import { api, ApiError, describeError } from '../api/client';
import { procedureKeys, useExport, useProcedure, useProjects } from '../api/procedures';
import type { FieldError, VersionStatus } from '../api/types';
import { type EditorProblem, jumpToLine, YamlEditor } from '../components/definition/yaml-editor';
import { previewDefinition } from '../components/parameters/definition-preview';
import { RunForm } from '../components/parameters/run-form';
import { PageHeader } from '../components/page-header';
import { PageLoader } from '../components/page-loader';
import { NotFoundPage } from './not-found-page';

const TEMPLATE = `name: my-procedure
description: What this does, in one sentence a runner understands.
parameters:
  environment: { type: string, enum: [staging, production], default: staging, description: Where to run }
  reason: { type: string, pattern: "^[A-Z]+-[0-9]+$", description: "Ticket id, e.g. OPS-123" }
steps:
  - name: main
    shell: bash
    run: |
      echo "running in $PARAM_ENVIRONMENT for $PARAM_REASON"
timeout: 10m
`;

interface SaveResult {
  id: string;
  version: number;
  status?: VersionStatus;
}

/** Server problems with a line go in the editor; the rest are listed above it. */
function splitProblems(errors: FieldError[]): { atLines: EditorProblem[]; general: FieldError[] } {
  const atLines: EditorProblem[] = [];
  const general: FieldError[] = [];
  for (const error of errors) {
    if (error.line) atLines.push({ line: error.line, message: error.field ? `${error.field}: ${error.message}` : error.message });
    else general.push(error);
  }
  return { atLines, general };
}

/**
 * Authoring: a YAML editor with the server's validation errors at their lines, a live preview of
 * the run form, and saving as a new procedure or a new version (submitted for review when the
 * project requires review).
 */
export default function AuthoringPage(): ReactNode {
  const { procedureId } = useParams();
  const [params] = useSearchParams();
  const isNew = !procedureId;
  const procedure = useProcedure(procedureId);
  const projects = useProjects();
  const current = useExport(procedureId ?? '', Boolean(procedureId) && procedure.data?.permissions.read === true);
  const projectId = isNew ? params.get('project') ?? '' : procedure.data?.projectId ?? '';
  const project = projects.data?.find((p) => p.id === projectId);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const viewRef = useRef<EditorView | null>(null);

  const [source, setSource] = useState<string | null>(isNew ? TEMPLATE : null);
  const [serverProblems, setServerProblems] = useState<FieldError[]>([]);
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    if (!isNew && source === null && current.data !== undefined) setSource(current.data);
  }, [isNew, source, current.data]);

  useEffect(() => {
    if (!dirty) return undefined;
    const warn = (event: BeforeUnloadEvent): void => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const [debouncedSource] = useDebouncedValue(source ?? '', 300);
  const preview = useMemo(() => previewDefinition(debouncedSource), [debouncedSource]);
  const { atLines, general } = useMemo(() => splitProblems(serverProblems), [serverProblems]);
  const editorProblems = useMemo(
    () => [...atLines, ...preview.problems.filter((p) => p.line !== undefined).map((p) => ({ line: p.line as number, message: p.message }))],
    [atLines, preview.problems],
  );

  const save = useMutation({
    mutationFn: async (text: string): Promise<SaveResult> => {
      if (isNew) {
        const created = await api.postYaml<{ id: string; version: number; status?: VersionStatus }>(`/projects/${projectId}/procedures`, text);
        return { id: created.id, version: created.version, status: created.status };
      }
      const version = await api.postYaml<{ version: number; status: VersionStatus }>(`/procedures/${procedureId}/versions`, text);
      return { id: procedureId as string, version: version.version, status: version.status };
    },
    onSuccess: async (result) => {
      setServerProblems([]);
      setDirty(false);
      let message = isNew ? 'Procedure created.' : `Version ${result.version} saved.`;
      if (result.status === 'draft') {
        try {
          await submitVersion(result.id, result.version);
          message = `Version ${result.version} submitted for review.`;
        } catch (error) {
          message = error instanceof ApiError && error.isMissingRoute
            ? `Version ${result.version} saved as a draft (this server has no review flow yet).`
            : `Version ${result.version} saved as a draft; submitting it for review failed: ${describeError(error)}`;
        }
      } else if (result.status === 'active') {
        message = isNew ? 'Procedure created and active.' : `Version ${result.version} is now active.`;
      }
      notifications.show({ color: 'green', title: 'Saved', message });
      await queryClient.invalidateQueries({ queryKey: ['procedures'] });
      void queryClient.invalidateQueries({ queryKey: procedureKeys.versions(result.id) });
      void navigate(isNew ? `/procedures/${result.id}` : `/procedures/${result.id}/versions/${result.version}`);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.errors.length > 0) setServerProblems(error.errors);
      else setServerProblems([{ field: '', message: describeError(error) }]);
    },
  });

  if (!isNew && procedure.error instanceof ApiError && procedure.error.status === 404) return <NotFoundPage what="procedure" />;
  if (isNew && projects.data && !project) return <Alert color="red">Choose a project from the catalog to create a procedure in.</Alert>;
  if (source === null) {
    if (current.error) return <Alert color="red">{describeError(current.error)}</Alert>;
    return <PageLoader />;
  }

  const reviewed = project?.requireReview === true;
  const saveLabel = isNew ? 'Create procedure' : reviewed ? 'Propose and submit for review' : 'Save new version';
  const editor = (
    <Grid gutter="lg">
      <Grid.Col span={{ base: 12, lg: 7 }}>
        <Stack gap="sm">
          {(general.length > 0 || atLines.length > 0) && (
            <Alert color="red" title="The server refused this definition" role="alert" data-testid="definition-problems">
              <List size="sm" spacing={2}>
                {general.map((problem, index) => <List.Item key={`g${index}`}>{problem.field ? <Text span ff="monospace" fz="sm">{problem.field}</Text> : null}{problem.field ? ': ' : ''}{problem.message}</List.Item>)}
                {atLines.map((problem, index) => (
                  <List.Item key={`l${index}`}>
                    <Anchor component="button" type="button" fz="sm" onClick={() => jumpToLine(viewRef.current, problem.line)}>line {problem.line}</Anchor>: {problem.message}
                  </List.Item>
                ))}
              </List>
            </Alert>
          )}
          <YamlEditor
            value={source}
            onChange={(text) => {
              setSource(text);
              setDirty(true);
            }}
            problems={editorProblems}
            label="Procedure definition (YAML)"
            viewRef={viewRef}
          />
          <Group justify="space-between">
            <Text size="xs" c="dimmed">Press Esc, then Tab, to leave the editor with the keyboard.</Text>
            <Group gap="xs">
              <Button variant="default" onClick={() => void navigate(isNew ? '/' : `/procedures/${procedureId}`)}>Cancel</Button>
              <Button onClick={() => save.mutate(source)} loading={save.isPending}>
                {saveLabel}
              </Button>
            </Group>
          </Group>
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, lg: 5 }}>
        <Paper withBorder p="lg" radius="md" aria-label="Run form preview" component="section">
          <Group justify="space-between" mb="xs">
            <Title order={2} fz="md">Run form preview</Title>
            <Badge variant="light" color="gray">live</Badge>
          </Group>
          {preview.name && <Text fw={600}>{preview.name}</Text>}
          {preview.description && <Text size="sm" c="dimmed" mb="sm">{preview.description}</Text>}
          {preview.problems.length > 0 && (
            <Alert color="yellow" mb="sm" title="Preview problems">
              {preview.problems.map((p, i) => <div key={i}>{p.line ? `line ${p.line}: ` : ''}{p.message}</div>)}
            </Alert>
          )}
          <RunForm schema={preview.schema} approval={preview.approval} />
        </Paper>
      </Grid.Col>
    </Grid>
  );

  if (isNew) {
    return (
      <>
        <PageHeader title="New procedure" description={<>In project <b>{project?.name ?? '…'}</b>. {reviewed ? 'This project requires review: the first version needs a reviewer too.' : ''}</>} />
        {editor}
      </>
    );
  }
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        Editing makes a new version; versions are immutable and runs keep the version they started with.
        {reviewed ? ' This project requires review: the new version becomes active once someone else approves it.' : ' The new version becomes active at once.'}
      </Text>
      {editor}
    </Stack>
  );
}
