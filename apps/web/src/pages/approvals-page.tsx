import { Alert, Anchor, Badge, Button, Card, Group, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { approvalKeys, type Decision, decideExecution, decideVersion, usePendingApprovals } from '../api/approvals';
import { ApiError, describeError } from '../api/client';
import { executionKeys } from '../api/executions';
import type { PendingApproval } from '../api/types';
import { PageHeader } from '../components/page-header';
import { PageLoader } from '../components/page-loader';
import { formatDateTime, TimeText } from '../components/time-text';

function formatParam(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function InboxCard({ item }: { item: PendingApproval }): ReactNode {
  const [comment, setComment] = useState('');
  const queryClient = useQueryClient();
  const decide = useMutation({
    mutationFn: (decision: Decision) =>
      item.kind === 'execution' ? decideExecution(item.id, decision, comment) : decideVersion(item.procedureId, item.version, decision, comment),
    onSuccess: (_result, decision) => {
      notifications.show({ color: decision === 'approve' ? 'green' : 'orange', message: `${decision === 'approve' ? 'Approved' : 'Rejected'}: ${item.procedureName}` });
      void queryClient.invalidateQueries({ queryKey: approvalKeys.pending });
      void queryClient.invalidateQueries({ queryKey: executionKeys.all });
      void queryClient.invalidateQueries({ queryKey: ['procedures', item.procedureId] });
    },
  });
  const isRun = item.kind === 'execution';
  const link = isRun ? `/executions/${item.id}` : `/procedures/${item.procedureId}/versions/${item.version}`;
  const who = isRun ? item.requestedBy.name : item.author.name;
  const when = isRun ? item.requestedAt : item.submittedAt;
  const rejectNeedsComment = !isRun;
  return (
    <Card withBorder radius="md" padding="md" component="article" data-testid="approval-item" aria-label={`${isRun ? 'Run' : `Version ${item.version}`} of ${item.procedureName}`}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Group gap="xs">
            <Badge variant="light" color={isRun ? 'blue' : 'grape'}>{isRun ? 'run' : `version ${item.version}`}</Badge>
            <Anchor component={Link} to={link} fw={600}>{item.procedureName}</Anchor>
          </Group>
          <Text size="sm" c="dimmed">{isRun ? 'requested' : 'proposed'} by {who} · <TimeText iso={when} /></Text>
        </Group>
        {isRun && Object.keys(item.params).length > 0 && (
          <Text size="sm" ff="monospace" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
            {Object.entries(item.params).map(([k, v]) => `${k}=${formatParam(v)}`).join('  ')}
          </Text>
        )}
        {isRun && (
          <Text size="xs" c="dimmed">
            {item.approvals} of {item.approvalsRequired} approvals{item.expiresAt ? ` · expires ${formatDateTime(item.expiresAt)}` : ''}
          </Text>
        )}
        <Textarea
          aria-label={`Comment on ${item.procedureName}`}
          placeholder={rejectNeedsComment ? 'Comment (needed to reject)' : 'Comment (optional)'}
          value={comment}
          onChange={(e) => setComment(e.currentTarget.value)}
          autosize
          minRows={1}
        />
        <Group gap="xs">
          <Button size="xs" color="green" onClick={() => decide.mutate('approve')} loading={decide.isPending && decide.variables === 'approve'}>Approve</Button>
          <Button size="xs" color="red" variant="light" disabled={rejectNeedsComment && !comment.trim()} onClick={() => decide.mutate('reject')} loading={decide.isPending && decide.variables === 'reject'}>
            Reject
          </Button>
          <Button size="xs" variant="subtle" component={Link} to={link}>{isRun ? 'Open the run' : 'Review the diff'}</Button>
        </Group>
        {decide.error && <Text size="sm" c="red" role="alert">{describeError(decide.error)}</Text>}
      </Stack>
    </Card>
  );
}

/** Runs and procedure versions waiting for the user's decision. */
export function ApprovalsPage(): ReactNode {
  const pending = usePendingApprovals();
  const items = pending.data?.items ?? [];
  return (
    <>
      <PageHeader title="Approvals" description="Runs and procedure versions waiting for your decision. Your own requests never appear here: someone else decides them." />
      {pending.isPending ? (
        <PageLoader />
      ) : pending.error instanceof ApiError && pending.error.isMissingRoute ? (
        <Alert color="gray" title="Not available yet">This server does not offer an approvals inbox yet.</Alert>
      ) : pending.error ? (
        <Alert color="red" role="alert">{describeError(pending.error)}</Alert>
      ) : items.length === 0 ? (
        <Text c="dimmed">Nothing is waiting for you.</Text>
      ) : (
        <Stack>{items.map((item) => <InboxCard key={`${item.kind}-${item.kind === 'execution' ? item.id : `${item.procedureId}-${item.version}`}`} item={item} />)}</Stack>
      )}
    </>
  );
}
