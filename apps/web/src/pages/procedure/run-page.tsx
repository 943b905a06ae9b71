import { Alert, Grid, Paper, Stack, Text, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { api, ApiError, describeError, fieldErrorsByName } from '../../api/client';
import type { Execution } from '../../api/types';
import { RunForm } from '../../components/parameters/run-form';
import { RecentRunsTable } from '../../components/recent-runs-table';
import { useProcedureContext } from './procedure-layout';

/** The run form, generated from the procedure's parameter schema; submitting opens the execution. */
export function RunPage(): ReactNode {
  const procedure = useProcedureContext();
  const navigate = useNavigate();
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [generalErrors, setGeneralErrors] = useState<string[]>([]);
  const run = useMutation({
    mutationFn: (params: Record<string, unknown>) =>
      api.post<Execution>(`/procedures/${procedure.id}/executions`, { params }, { 'x-switchboard-client': 'web' }),
    onSuccess: (execution) => void navigate(`/executions/${execution.id}`),
    onError: (error) => {
      if (error instanceof ApiError && (error.status === 422 || error.status === 400) && error.errors.length > 0) {
        const { byField, general } = fieldErrorsByName(error.errors, 'params');
        setServerErrors(byField);
        setGeneralErrors(general);
      } else {
        setServerErrors({});
        setGeneralErrors([describeError(error)]);
      }
    },
  });
  if (!procedure.permissions.run) return <Navigate to={`/procedures/${procedure.id}/runs`} replace />;
  if (procedure.archived) return <Alert color="red">This procedure is archived and cannot be run.</Alert>;
  if (!procedure.parameterSchema) return <Alert color="yellow">This procedure has no active version yet, so it cannot be run.</Alert>;
  return (
    <Grid gutter="xl">
      <Grid.Col span={{ base: 12, md: 7 }}>
        <Paper withBorder p="lg" radius="md">
          <Title order={2} fz="lg" mb="md">Parameters</Title>
          <RunForm
            schema={procedure.parameterSchema}
            approval={procedure.approval}
            onSubmit={(params) => {
              setServerErrors({});
              setGeneralErrors([]);
              run.mutate(params);
            }}
            submitting={run.isPending}
            serverErrors={serverErrors}
            generalErrors={generalErrors}
            submitLabel={`Run ${procedure.name}`}
          />
        </Paper>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 5 }}>
        <Stack gap="xs">
          <Title order={2} fz="lg">Recent runs</Title>
          <Text size="sm" c="dimmed">Runs of this procedure you may see, newest first.</Text>
          <RecentRunsTable procedureId={procedure.id} />
        </Stack>
      </Grid.Col>
    </Grid>
  );
}
