import { Alert, Button, Grid, Group, Paper, Stack, Tabs, Text, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { useParams } from 'react-router';
import { type Decision, decideVersion, submitVersion } from '../../api/approvals';
import { ApiError, describeError } from '../../api/client';
import { procedureKeys, useVersion } from '../../api/procedures';
import type { VersionDetail } from '../../api/types';
import { DefinitionDiff } from '../../components/definition/definition-diff';
import { YamlEditor } from '../../components/definition/yaml-editor';
import { RunForm } from '../../components/parameters/run-form';
import { QueryState } from '../../components/query-state';
import { useSession } from '../../components/session/session-context';
import { StatusBadge } from '../../components/status-badge';
import { formatDateTime } from '../../components/time-text';
import { useProcedureContext } from './procedure-layout';

function ReviewActions({ procedureId, version, authorId, mayApprove }: { procedureId: string; version: VersionDetail; authorId: string; mayApprove: boolean }): ReactNode {
  const { me } = useSession();
  const queryClient = useQueryClient();
  const [comment, setComment] = useState('');
  const refresh = (): void => void queryClient.invalidateQueries({ queryKey: procedureKeys.detail(procedureId) });
  const decide = useMutation({
    mutationFn: (decision: Decision) => decideVersion(procedureId, version.version, decision, comment),
    onSuccess: (_r, decision) => {
      notifications.show({ color: decision === 'approve' ? 'green' : 'orange', message: decision === 'approve' ? `v${version.version} approved and active.` : `v${version.version} rejected.` });
      refresh();
    },
  });
  const submit = useMutation({
    mutationFn: () => submitVersion(procedureId, version.version),
    onSuccess: () => {
      notifications.show({ color: 'blue', message: `v${version.version} submitted for review.` });
      refresh();
    },
  });
  const isAuthor = authorId === me.id;
  if (version.status === 'draft') {
    if (!isAuthor && !mayApprove) return null;
    return (
      <Paper withBorder p="md" radius="md">
        <Stack gap="xs">
          <Text size="sm">This version is a draft. Submit it to ask a reviewer to approve it.</Text>
          <Group><Button onClick={() => submit.mutate()} loading={submit.isPending}>Submit for review</Button></Group>
          {submit.error && <Text c="red" size="sm" role="alert">{submit.error instanceof ApiError && submit.error.isMissingRoute ? 'The review flow is not available on this server yet.' : describeError(submit.error)}</Text>}
        </Stack>
      </Paper>
    );
  }
  if (version.status !== 'in_review') return null;
  if (!mayApprove) return <Alert color="yellow">Waiting for a reviewer.</Alert>;
  if (isAuthor) return <Alert color="yellow">You proposed this version, so someone else must review it.</Alert>;
  return (
    <Paper withBorder p="md" radius="md" data-testid="review-actions">
      <Stack gap="xs">
        <Title order={2} fz="md">Your review</Title>
        <Textarea label="Comment" description="Required to reject; optional to approve." value={comment} onChange={(e) => setComment(e.currentTarget.value)} autosize minRows={2} />
        <Group gap="xs">
          <Button color="green" onClick={() => decide.mutate('approve')} loading={decide.isPending && decide.variables === 'approve'}>Approve and activate</Button>
          <Button color="red" variant="light" disabled={!comment.trim()} onClick={() => decide.mutate('reject')} loading={decide.isPending && decide.variables === 'reject'}>Reject</Button>
        </Group>
        {decide.error && <Text c="red" size="sm" role="alert">{decide.error instanceof ApiError && decide.error.isMissingRoute ? 'The review flow is not available on this server yet.' : describeError(decide.error)}</Text>}
      </Stack>
    </Paper>
  );
}

/** A version for its reviewer: what changes against the active one, its form, its source. */
export default function VersionReviewPage(): ReactNode {
  const procedure = useProcedureContext();
  const { version: n = '0' } = useParams();
  const version = useVersion(procedure.id, Number(n));
  return (
    <QueryState query={version}>
      {() => {
        const v = version.data as VersionDetail;
        const { activeVersion, changes } = v.diffAgainstActive;
        return (
          <Stack gap="md">
            <Group gap="sm">
              <Title order={2} fz="xl">Version {v.version}</Title>
              <span data-testid="version-status"><StatusBadge status={v.status} size="md" /></span>
            </Group>
            <Text size="sm" c="dimmed">
              Proposed by {v.createdBy.name} on {formatDateTime(v.createdAt)}
              {v.decidedAt && <> · decided {formatDateTime(v.decidedAt)}</>}
              {v.decisionComment && <> · “{v.decisionComment}”</>}
            </Text>
            <ReviewActions procedureId={procedure.id} version={v} authorId={v.createdBy.id} mayApprove={procedure.permissions.approve} />
            <Tabs defaultValue="diff" keepMounted={false}>
              <Tabs.List>
                <Tabs.Tab value="diff">{activeVersion !== null && activeVersion !== v.version ? `Changes against v${activeVersion}` : 'Changes'}</Tabs.Tab>
                <Tabs.Tab value="form">Run form</Tabs.Tab>
                <Tabs.Tab value="source">Source</Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="diff" pt="md">
                {activeVersion === v.version ? <Text c="dimmed">This is the active version.</Text> : <DefinitionDiff changes={changes} />}
              </Tabs.Panel>
              <Tabs.Panel value="form" pt="md">
                <Grid><Grid.Col span={{ base: 12, md: 7 }}><Paper withBorder p="lg"><RunForm schema={v.parameterSchema} approval={null} /></Paper></Grid.Col></Grid>
              </Tabs.Panel>
              <Tabs.Panel value="source" pt="md">
                <YamlEditor value={v.source} readOnly label={`Source of version ${v.version}`} height="auto" />
              </Tabs.Panel>
            </Tabs>
          </Stack>
        );
      }}
    </QueryState>
  );
}
