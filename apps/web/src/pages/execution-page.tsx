import { Alert, Anchor, Badge, Button, Grid, Group, Modal, Paper, Stack, Table, Text, Textarea, Timeline, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { decideExecution, type Decision } from '../api/approvals';
import { api, ApiError, describeError } from '../api/client';
import { executionKeys, fetchAllLogLines, useExecution } from '../api/executions';
import { useProcedure } from '../api/procedures';
import { type Execution, type ExecutionStep, type LogLine, type ParameterSchema, TERMINAL_STATUSES } from '../api/types';
import { Icon } from '../components/icons';
import { stripAnsi } from '../components/log/ansi-segments';
import { LogViewer } from '../components/log/log-viewer';
import { useExecutionLog } from '../components/log/use-execution-log';
import { PageHeader } from '../components/page-header';
import { QueryState } from '../components/query-state';
import { useSession } from '../components/session/session-context';
import { StatusBadge, statusColor } from '../components/status-badge';
import { durationBetween, formatDateTime, formatDuration, TimeText } from '../components/time-text';
import { NotFoundPage } from './not-found-page';

/** Re-renders every second while something is running, so durations tick. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function logText(lines: LogLine[]): string {
  return lines.map((line) => `${line.ts} ${line.stream.padEnd(6)} [${line.step ?? '-'}] ${stripAnsi(line.text)}`).join('\n') + '\n';
}

function DownloadButton({ execution, name }: { execution: Execution; name: string }): ReactNode {
  const [progress, setProgress] = useState<number | null>(null);
  const download = async (): Promise<void> => {
    setProgress(0);
    try {
      const lines = await fetchAllLogLines(execution.id, setProgress);
      const url = URL.createObjectURL(new Blob([logText(lines)], { type: 'text/plain;charset=utf-8' }));
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = `${name}-${execution.id.slice(0, 8)}.log`;
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      notifications.show({ color: 'red', title: 'Download failed', message: describeError(error) });
    } finally {
      setProgress(null);
    }
  };
  return (
    <Button size="compact-xs" variant="default" leftSection={<Icon name="download" size={14} />} loading={progress !== null} onClick={() => void download()}>
      Download
    </Button>
  );
}

function StepTimeline({ steps, now }: { steps: ExecutionStep[]; now: number }): ReactNode {
  if (steps.length === 0) return <Text size="sm" c="dimmed">No step has started yet.</Text>;
  const active = steps.reduce((last, step, index) => (step.status !== 'pending' ? index : last), -1);
  return (
    <Timeline active={active} bulletSize={18} lineWidth={2} aria-label="Steps">
      {steps.map((step) => (
        <Timeline.Item
          key={step.name}
          color={statusColor(step.status)}
          title={<Group gap="xs"><Text fw={600} size="sm">{step.name}</Text><StatusBadge status={step.status} size="xs" /></Group>}
          data-step={step.name}
        >
          <Text size="xs" c="dimmed">
            {step.exitCode !== null && <>exit code <Text span ff="monospace" fw={600} c={step.exitCode === 0 ? undefined : 'red'}>{step.exitCode}</Text> · </>}
            {step.startedAt ? formatDuration(durationBetween(step.startedAt, step.finishedAt, now)) : 'not started'}
          </Text>
          {step.reason && <Text size="xs" c="dimmed">{step.reason}</Text>}
        </Timeline.Item>
      ))}
    </Timeline>
  );
}

function ParametersTable({ params, schema }: { params: Record<string, unknown>; schema: ParameterSchema | null | undefined }): ReactNode {
  const entries = Object.entries(params);
  if (entries.length === 0) return <Text size="sm" c="dimmed">No parameters.</Text>;
  return (
    <Table withRowBorders={false} verticalSpacing={4} data-testid="execution-params">
      <Table.Tbody>
        {entries.map(([name, value]) => {
          const secret = schema?.properties[name]?.['x-secret'] || value === '***';
          return (
            <Table.Tr key={name}>
              <Table.Td c="dimmed" fz="sm" w="40%" style={{ verticalAlign: 'top' }}>{schema?.properties[name]?.title ?? name}</Table.Td>
              <Table.Td fz="sm" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                {secret ? <Group gap={6}><span>***</span><Badge size="xs" variant="light" color="gray">secret</Badge></Group> : formatValue(value)}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

function Outputs({ outputs }: { outputs: Execution['outputs'] }): ReactNode {
  const rows = Object.entries(outputs).flatMap(([step, values]) => Object.entries(values).map(([key, value]) => ({ step, key, value })));
  if (rows.length === 0) return null;
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} fz="md" mb="xs">Outputs</Title>
      <Table verticalSpacing={4} data-testid="execution-outputs">
        <Table.Thead>
          <Table.Tr><Table.Th>Step</Table.Th><Table.Th>Key</Table.Th><Table.Th>Value</Table.Th></Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={`${row.step}.${row.key}`}>
              <Table.Td fz="sm">{row.step}</Table.Td>
              <Table.Td fz="sm" ff="monospace">{row.key}</Table.Td>
              <Table.Td fz="sm" ff="monospace" style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>{row.value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}

function ApprovalPanel({ execution }: { execution: Execution }): ReactNode {
  const { me, can } = useSession();
  const queryClient = useQueryClient();
  const [comment, setComment] = useState('');
  const decide = useMutation({
    mutationFn: (decision: Decision) => decideExecution(execution.id, decision, comment),
    onSuccess: (_result, decision) => {
      notifications.show({ color: decision === 'approve' ? 'green' : 'orange', message: decision === 'approve' ? 'Approved.' : 'Rejected.' });
      void queryClient.invalidateQueries({ queryKey: executionKeys.detail(execution.id) });
    },
  });
  const mayDecide = can('approve', 'Execution', { projectId: execution.projectId, procedureId: execution.procedureId });
  const isRequester = execution.triggeredBy.id === me.id;
  const required = execution.approval?.required ?? 1;
  const decisions = execution.approval?.decisions ?? [];
  const decidedByMe = decisions.some((d) => d.by.id === me.id);
  return (
    <Alert color="yellow" title="Waiting for approval" data-testid="approval-panel">
      <Stack gap="xs">
        <Text size="sm">
          This run starts once {required === 1 ? 'one person' : `${required} people`} other than {execution.triggeredBy.name} approve it
          {decisions.length > 0 ? ` (${decisions.filter((d) => d.decision === 'approved').length} so far)` : ''}.
          {execution.approval?.expiresAt && <> The request expires {formatDateTime(execution.approval.expiresAt)}.</>}
        </Text>
        {decidedByMe && <Text size="sm" c="dimmed">You have approved it; it needs someone else too.</Text>}
        {mayDecide && isRequester && <Text size="sm" c="dimmed">You requested this run, so you cannot approve it.</Text>}
        {mayDecide && !isRequester && !decidedByMe && (
          <>
            <Textarea label="Comment (optional)" value={comment} onChange={(event) => setComment(event.currentTarget.value)} autosize minRows={2} maw={520} />
            <Group gap="xs">
              <Button color="green" onClick={() => decide.mutate('approve')} loading={decide.isPending && decide.variables === 'approve'}>Approve</Button>
              <Button color="red" variant="light" onClick={() => decide.mutate('reject')} loading={decide.isPending && decide.variables === 'reject'}>Reject</Button>
            </Group>
            {decide.error && <Text c="red" size="sm" role="alert">{describeError(decide.error)}</Text>}
          </>
        )}
      </Stack>
    </Alert>
  );
}

function ApprovalDecisions({ execution }: { execution: Execution }): ReactNode {
  const decisions = execution.approval?.decisions ?? [];
  if (decisions.length === 0) return null;
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} fz="md" mb="xs">Approvals</Title>
      <Stack gap={6} data-testid="approval-decisions">
        {decisions.map((d) => (
          <Text key={`${d.by.id}-${d.at}`} size="sm">
            <Badge size="xs" color={d.decision === 'approved' ? 'green' : 'red'} variant="light" mr={6}>{d.decision}</Badge>
            {d.by.name} · <TimeText iso={d.at} />
            {d.comment && <Text span c="dimmed"> — “{d.comment}”</Text>}
          </Text>
        ))}
      </Stack>
    </Paper>
  );
}

function CancelButton({ execution }: { execution: Execution }): ReactNode {
  const [open, setOpen] = useState(false);
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => api.post<Execution>(`/executions/${execution.id}/cancel`),
    onSuccess: (updated) => {
      setOpen(false);
      queryClient.setQueryData(executionKeys.detail(execution.id), updated);
      void queryClient.invalidateQueries({ queryKey: executionKeys.detail(execution.id) });
    },
  });
  return (
    <>
      <Button color="red" variant="light" onClick={() => setOpen(true)}>Cancel run</Button>
      <Modal opened={open} onClose={() => setOpen(false)} title="Cancel this run?" centered>
        <Stack>
          <Text size="sm">
            {execution.status === 'running'
              ? 'The running step and every process it started are stopped (SIGTERM, then SIGKILL). Later steps do not run.'
              : 'The run is removed from the queue before it starts.'}
          </Text>
          {cancel.error && <Text c="red" size="sm" role="alert">{describeError(cancel.error)}</Text>}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>Keep running</Button>
            <Button color="red" onClick={() => cancel.mutate()} loading={cancel.isPending}>Cancel run</Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/** One execution: status, who/when/what, steps, outputs, and the live output. */
export function ExecutionPage(): ReactNode {
  const { executionId = '' } = useParams();
  const execution = useExecution(executionId);
  const procedure = useProcedure(execution.data?.procedureId);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { can, me } = useSession();
  const refresh = (): void => void queryClient.invalidateQueries({ queryKey: executionKeys.detail(executionId) });
  const log = useExecutionLog(executionId, { onStatus: refresh, onEnd: refresh });
  const isRunning = execution.data?.status === 'running';
  const now = useNow(isRunning);
  const rerun = useMutation({
    mutationFn: () => api.post<Execution>(`/executions/${executionId}/rerun`, {}, { 'x-switchboard-client': 'web' }),
    onSuccess: (next) => void navigate(`/executions/${next.id}`),
    onError: (error) => notifications.show({ color: 'red', title: 'Could not re-run', message: describeError(error) }),
  });

  if (execution.error instanceof ApiError && execution.error.status === 404) return <NotFoundPage what="execution" />;
  return (
    <QueryState query={execution}>
      {() => {
        const e = execution.data as Execution;
        const name = procedure.data?.name ?? e.procedureName ?? 'Execution';
        const terminal = TERMINAL_STATUSES.has(e.status);
        const mayCancel = !terminal && can('cancel', 'Execution', { projectId: e.projectId, procedureId: e.procedureId, ownedByCaller: e.triggeredBy.id === me.id });
        const mayRerun = terminal && (procedure.data ? procedure.data.permissions.run : can('run', 'Procedure', { projectId: e.projectId, procedureId: e.procedureId }));
        const duration = e.durationMs ?? durationBetween(e.startedAt, e.finishedAt, now);
        return (
          <>
            <PageHeader
              eyebrow={
                <Group gap="xs">
                  <Anchor component={Link} to={`/procedures/${e.procedureId}`} size="sm">{name}</Anchor>
                  <Text size="sm" c="dimmed">· v{e.version} · execution <Text span ff="monospace">{e.id.slice(0, 8)}</Text></Text>
                </Group>
              }
              documentTitle={`${e.status.replace(/_/g, ' ')} · ${name}`}
              title={
                <Group gap="sm" component="span">
                  <span>{name}</span>
                  <span data-testid="execution-status"><StatusBadge status={e.status} size="lg" /></span>
                </Group>
              }
              actions={
                <>
                  {mayCancel && <CancelButton execution={e} />}
                  {mayRerun && <Button variant="default" onClick={() => rerun.mutate()} loading={rerun.isPending}>Re-run</Button>}
                </>
              }
            />
            <Stack gap="md">
              {e.statusReason && e.status !== 'pending_approval' && !['succeeded', 'running', 'queued'].includes(e.status) && (
                <Alert color={statusColor(e.status)} variant="light">{e.statusReason}</Alert>
              )}
              {e.status === 'pending_approval' && <ApprovalPanel execution={e} />}
              <Grid gutter="md">
                <Grid.Col span={{ base: 12, lg: 8 }}>
                  <LogViewer lines={log.lines} count={log.count} state={log.state} toolbar={<DownloadButton execution={e} name={name} />} />
                </Grid.Col>
                <Grid.Col span={{ base: 12, lg: 4 }}>
                  <Stack gap="md">
                    <Paper withBorder p="md" radius="md">
                      <Table withRowBorders={false} verticalSpacing={3} data-testid="execution-details">
                        <Table.Tbody>
                          <Table.Tr><Table.Td c="dimmed" fz="sm">Triggered by</Table.Td><Table.Td fz="sm">{e.triggeredBy.name} <Text span size="xs" c="dimmed">via {e.trigger}</Text></Table.Td></Table.Tr>
                          <Table.Tr><Table.Td c="dimmed" fz="sm">Queued</Table.Td><Table.Td fz="sm"><TimeText iso={e.queuedAt} /></Table.Td></Table.Tr>
                          <Table.Tr><Table.Td c="dimmed" fz="sm">Started</Table.Td><Table.Td fz="sm"><TimeText iso={e.startedAt} /></Table.Td></Table.Tr>
                          <Table.Tr><Table.Td c="dimmed" fz="sm">Finished</Table.Td><Table.Td fz="sm"><TimeText iso={e.finishedAt} /></Table.Td></Table.Tr>
                          <Table.Tr><Table.Td c="dimmed" fz="sm">Duration</Table.Td><Table.Td fz="sm">{formatDuration(duration)}</Table.Td></Table.Tr>
                          <Table.Tr><Table.Td c="dimmed" fz="sm">Workers</Table.Td><Table.Td fz="sm">{e.workerGroup}{e.attempt > 1 ? ` · attempt ${e.attempt}` : ''}</Table.Td></Table.Tr>
                          {e.rerunOf && (
                            <Table.Tr><Table.Td c="dimmed" fz="sm">Re-run of</Table.Td><Table.Td fz="sm"><Anchor component={Link} to={`/executions/${e.rerunOf}`} ff="monospace">{e.rerunOf.slice(0, 8)}</Anchor></Table.Td></Table.Tr>
                          )}
                        </Table.Tbody>
                      </Table>
                    </Paper>
                    <Paper withBorder p="md" radius="md">
                      <Title order={2} fz="md" mb="xs">Parameters</Title>
                      <ParametersTable params={e.params} schema={procedure.data?.parameterSchema} />
                    </Paper>
                    <Paper withBorder p="md" radius="md">
                      <Title order={2} fz="md" mb="sm">Steps</Title>
                      <StepTimeline steps={e.steps} now={now} />
                    </Paper>
                    <ApprovalDecisions execution={e} />
                    <Outputs outputs={e.outputs} />
                  </Stack>
                </Grid.Col>
              </Grid>
            </Stack>
          </>
        );
      }}
    </QueryState>
  );
}
