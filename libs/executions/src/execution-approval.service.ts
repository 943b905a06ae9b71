import { Injectable, Optional } from '@nestjs/common';
import { NotificationEmitter } from '@switchboard/notifications';
import { executionEvent } from './execution-notification';
import { DataSource } from 'typeorm';
import { type Actor, ConflictError, ForbiddenError, TransactionRunner, rowsOf } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { accessFilter, type CallerAbility } from '@switchboard/access';
import type { ProcedureDefinition } from '@switchboard/procedures';
import { ExecutionApprovalEntity } from './execution-approval.entity';
import { ExecutionEntity } from './execution.entity';
import { ExecutionQueue } from './execution-queue';
import { ExecutionService } from './execution.service';
import { auditActionFor } from './execution-state';


export interface PendingRunApproval {
  kind: 'execution';
  id: string;
  procedureId: string;
  procedureName: string;
  projectId: string;
  version: number;
  params: Record<string, unknown>;
  requestedBy: { id: string | null; name: string };
  requestedAt: string;
  approvalsRequired: number;
  approvals: number;
  expiresAt: string | null;
}

/**
 * The two-person rule for runs: a run waiting for approval is queued once N distinct people
 * other than its requester approve it; one rejection ends it. Enforced here, on the server.
 */
@Injectable()
export class ExecutionApprovalService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly executions: ExecutionService,
    private readonly queue: ExecutionQueue,
    @Optional() private readonly notifications?: NotificationEmitter,
  ) {}

  async decide(actor: Actor, ability: CallerAbility, id: string, decision: 'approved' | 'rejected', comment: string | null): Promise<ExecutionEntity> {
    const execution = await this.executions.load(ability, id);
    const attributes = { projectId: execution.projectId, procedureId: execution.procedureId, ownerId: execution.triggeredBy };
    if (!ability.can('approve', 'Execution', attributes)) throw new ForbiddenError('you may not approve runs of this procedure');
    if (execution.triggeredBy && execution.triggeredBy === actor.id) throw new ForbiddenError('you requested this run; someone else must decide on it');
    await this.checkApproverGroup(ability, execution);
    const outcome = await this.tx.run(async (manager) => {
      // Lock the execution: concurrent approvals must count each other.
      const locked = rowsOf<{ status: string; approvals_required: number; approval_expires_at: Date | null }>(await manager.query(
        'SELECT status, approvals_required, approval_expires_at FROM executions WHERE id = $1 FOR UPDATE', [id],
      ))[0];
      if (locked.status !== 'pending_approval') throw new ConflictError(`the run is no longer waiting for approval (${locked.status})`);
      if (locked.approval_expires_at && locked.approval_expires_at.getTime() <= Date.now()) throw new ConflictError('the approval request has expired');
      const already = await manager.getRepository(ExecutionApprovalEntity).findOneBy({ executionId: id, decidedBy: actor.id as string });
      if (already) throw new ConflictError('you already decided on this run');
      await manager.getRepository(ExecutionApprovalEntity).insert({ executionId: id, decidedBy: actor.id as string, decidedByName: actor.name, decision, comment });
      await this.audit.record(manager, actor, {
        action: decision === 'approved' ? 'execution.approval.approved' : 'execution.approval.rejected', outcome: 'succeeded',
        resourceType: 'execution', resourceId: id, projectId: execution.projectId, reason: comment, details: { requestedBy: execution.triggeredByName },
      });
      if (decision === 'rejected') {
        await manager.query(`UPDATE executions SET status = 'rejected', status_reason = $2, finished_at = now() WHERE id = $1`, [id, `rejected by ${actor.name}${comment ? `: ${comment}` : ''}`]);
        await this.audit.record(manager, actor, { action: auditActionFor('rejected'), outcome: 'failed', resourceType: 'execution', resourceId: id, projectId: execution.projectId, reason: comment });
        return 'rejected';
      }
      const [{ count }] = (await manager.query(
        `SELECT count(*)::int AS count FROM execution_approvals WHERE execution_id = $1 AND decision = 'approved'`, [id],
      )) as Array<{ count: number }>;
      if (count < locked.approvals_required) return 'waiting';
      await manager.query(`UPDATE executions SET status = 'queued', status_reason = NULL, queued_at = now() WHERE id = $1`, [id]);
      await this.audit.record(manager, actor, {
        action: auditActionFor('queued'), outcome: 'succeeded', resourceType: 'execution', resourceId: id, projectId: execution.projectId,
        reason: `approved by ${count} of ${locked.approvals_required} required`,
      });
      return 'queued';
    });
    if (outcome === 'queued') await this.queue.enqueue(id, execution.workerGroup).catch(() => undefined); // the reconciler retries
    const [procedure] = (await this.dataSource.query('SELECT name FROM procedures WHERE id = $1', [execution.procedureId])) as Array<{ name: string }>;
    void this.notifications?.emit(executionEvent('approval_decided', execution, procedure?.name ?? '', { status: outcome === 'waiting' ? 'pending_approval' : outcome, actor: actor.name, comment }));
    if (outcome === 'rejected') void this.notifications?.emit(executionEvent('rejected', execution, procedure?.name ?? '', { actor: actor.name, reason: comment }));
    return this.dataSource.getRepository(ExecutionEntity).findOneByOrFail({ id });
  }

  /** `approval.from`: only holders of these roles (at a scope covering the run) or members of these teams. */
  private async checkApproverGroup(ability: CallerAbility, execution: ExecutionEntity): Promise<void> {
    const [row] = (await this.dataSource.query('SELECT definition FROM procedure_versions WHERE id = $1', [execution.versionId])) as Array<{ definition: ProcedureDefinition }>;
    const from = row?.definition.approval?.from;
    if (!from || ((!from.roles || from.roles.length === 0) && (!from.teams || from.teams.length === 0))) return;
    const covers = (scopeType: string, scopeId: string | null): boolean =>
      scopeType === 'global' || (scopeType === 'project' && scopeId === execution.projectId) || (scopeType === 'procedure' && scopeId === execution.procedureId);
    const byRole = (from.roles ?? []).some((role) => ability.grants.some((g) => g.roleName === role && covers(g.scopeType, g.scopeId)));
    let byTeam = false;
    if (!byRole && from.teams && from.teams.length > 0) {
      const teams = (await this.dataSource.query(
        'SELECT 1 FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.user_id = $1 AND t.name = ANY($2)', [ability.userId, from.teams],
      )) as unknown[];
      byTeam = teams.length > 0;
    }
    if (!byRole && !byTeam) throw new ForbiddenError(`runs of this procedure are approved by ${[...(from.roles ?? []).map((r) => `role ${r}`), ...(from.teams ?? []).map((t) => `team ${t}`)].join(' or ')}`);
  }

  async decisions(executionId: string): Promise<ExecutionApprovalEntity[]> {
    return this.dataSource.getRepository(ExecutionApprovalEntity).find({ where: { executionId }, order: { decidedAt: 'ASC' } });
  }

  /** Runs waiting for the caller's decision: they may approve, did not request, have not decided. */
  async pendingFor(ability: CallerAbility, limit: number): Promise<PendingRunApproval[]> {
    const acl = accessFilter([ability.scopeFor('approve', 'Execution')], { projectId: 'e.project_id', procedureId: 'e.procedure_id' }, ability.userId, 'apr');
    const rows: Array<Record<string, unknown>> = await this.dataSource.getRepository(ExecutionEntity).createQueryBuilder('e')
      .select(['e.id AS id', 'e.procedure_id AS procedure_id', 'p.name AS procedure_name', 'e.project_id AS project_id', 'e.version AS version', 'e.params AS params',
        'e.triggered_by AS triggered_by', 'e.triggered_by_name AS triggered_by_name', 'e.queued_at AS queued_at', 'e.approvals_required AS approvals_required',
        'e.approval_expires_at AS approval_expires_at',
        `(SELECT count(*)::int FROM execution_approvals a WHERE a.execution_id = e.id AND a.decision = 'approved') AS approvals`])
      .innerJoin('procedures', 'p', 'p.id = e.procedure_id')
      .where(`e.status = 'pending_approval'`)
      .andWhere('(e.approval_expires_at IS NULL OR e.approval_expires_at > now())')
      .andWhere('e.triggered_by IS DISTINCT FROM :me', { me: ability.userId })
      .andWhere('NOT EXISTS (SELECT 1 FROM execution_approvals a WHERE a.execution_id = e.id AND a.decided_by = :me)', { me: ability.userId })
      .andWhere(acl.sql, acl.params)
      .orderBy('e.queued_at', 'ASC').limit(limit).getRawMany();
    return rows.map((r) => ({
      kind: 'execution', id: r.id as string, procedureId: r.procedure_id as string, procedureName: r.procedure_name as string, projectId: r.project_id as string,
      version: r.version as number, params: r.params as Record<string, unknown>, requestedBy: { id: r.triggered_by as string | null, name: r.triggered_by_name as string },
      requestedAt: (r.queued_at as Date).toISOString(), approvalsRequired: r.approvals_required as number, approvals: r.approvals as number,
      expiresAt: r.approval_expires_at ? (r.approval_expires_at as Date).toISOString() : null,
    }));
  }
}
