import type { ReactNode } from 'react';
import { ExecutionTable } from '../../components/execution-table';
import { useProcedureContext } from './procedure-layout';

export function ProcedureRunsPage(): ReactNode {
  const procedure = useProcedureContext();
  return <ExecutionTable filter={{ procedure: procedure.id }} hideProcedure />;
}
