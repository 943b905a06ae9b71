import { Injectable, Optional } from '@nestjs/common';
import { NotificationEmitter, type NotificationEventType } from '@switchboard/notifications';
import { DataSource } from 'typeorm';
import { type Actor, ConflictError, ForbiddenError, NotFoundError, TransactionRunner, rowsOf } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { accessFilter, type CallerAbility } from '@switchboard/access';
import { ProcedureEntity } from './procedure.entity';
import { ProcedureVersionEntity, type VersionStatus } from './procedure-version.entity';
import { ProcedureService } from './procedure.service';

export interface PendingVersionReview {
  kind: 'version';
  procedureId: string;
  procedureName: string;
  projectId: string;
  version: number;
  author: { id: string | null; name: string };
  submittedAt: string;
}


/**
 * Reviewed versions: draft → in_review (submit) → active (approve; the previous active version is
 * superseded) or rejected. The reviewer needs approve on the procedure and is never its author.
 */
@Injectable()
export class ProcedureReviewService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly procedures: ProcedureService,
    @Optional() private readonly notifications?: NotificationEmitter,
  ) {}

  async submit(actor: Actor, ability: CallerAbility, procedureId: string, number: number): Promise<ProcedureVersionEntity> {
    const { procedure, permissions } = await this.procedures.load(ability, procedureId);
    const version = await this.version(procedureId, number);
    if (!permissions.update && version.createdBy !== actor.id) throw new ForbiddenError('only the author or someone who may edit the procedure submits a version');
    return this.move(actor, procedure, version, 'draft', 'in_review', 'procedure.version.submitted', null);
  }

  async decide(actor: Actor, ability: CallerAbility, procedureId: string, number: number, decision: 'approve' | 'reject', comment: string | null): Promise<ProcedureVersionEntity> {
    const { procedure, permissions } = await this.procedures.load(ability, procedureId);
    if (!permissions.approve) throw new ForbiddenError('reviewing versions needs approve on the procedure');
    const version = await this.version(procedureId, number);
    if (version.createdBy && version.createdBy === actor.id) throw new ForbiddenError('you wrote this version; someone else must review it');
    return decision === 'approve'
      ? this.move(actor, procedure, version, 'in_review', 'active', 'procedure.version.approved', comment)
      : this.move(actor, procedure, version, 'in_review', 'rejected', 'procedure.version.rejected', comment);
  }

  private async version(procedureId: string, number: number): Promise<ProcedureVersionEntity> {
    const version = await this.dataSource.getRepository(ProcedureVersionEntity).findOneBy({ procedureId, version: number });
    if (!version) throw new NotFoundError('version');
    return version;
  }

  private async move(
    actor: Actor, procedure: ProcedureEntity, version: ProcedureVersionEntity, from: VersionStatus, to: VersionStatus, action: string, comment: string | null,
  ): Promise<ProcedureVersionEntity> {
    await this.tx.run(async (manager) => {
      const decided = to === 'in_review' ? {} : { decided_by: actor.id, decided_at: new Date(), decision_comment: comment };
      const moved = rowsOf<{ id: string }>(await manager.query(
        `UPDATE procedure_versions SET status = $3, decided_by = COALESCE($4, decided_by), decided_at = COALESCE($5, decided_at), decision_comment = COALESCE($6, decision_comment)
          WHERE id = $1 AND status = $2 RETURNING id`,
        [version.id, from, to, decided.decided_by ?? null, decided.decided_at ?? null, decided.decision_comment ?? null],
      ));
      if (moved.length === 0) throw new ConflictError(`version ${version.version} is ${version.status}, not ${from}`);
      if (to === 'active') {
        await manager.query('SELECT 1 FROM procedures WHERE id = $1 FOR UPDATE', [procedure.id]);
        const fresh = await manager.getRepository(ProcedureEntity).findOneByOrFail({ id: procedure.id });
        if (fresh.activeVersionId) await manager.update(ProcedureVersionEntity, { id: fresh.activeVersionId }, { status: 'superseded' });
        await manager.update(ProcedureEntity, { id: procedure.id }, { activeVersionId: version.id, activeVersion: version.version, description: version.definition.description });
      }
      await this.audit.record(manager, actor, {
        action, outcome: 'succeeded', resourceType: 'procedure', resourceId: procedure.id, projectId: procedure.projectId, reason: comment,
        details: { name: procedure.name, version: version.version, from, to, author: version.createdByName },
      });
    });
    const type: NotificationEventType | null = to === 'in_review' ? 'version_submitted' : to === 'active' ? 'version_approved' : null;
    if (type) {
      void this.notifications?.emit({
        key: `${version.id}:${type}`, type, occurredAt: new Date().toISOString(), projectId: procedure.projectId, procedureId: procedure.id,
        procedureName: procedure.name, version: { number: version.version, author: version.createdByName }, actor: actor.name, comment,
      });
    }
    return this.dataSource.getRepository(ProcedureVersionEntity).findOneByOrFail({ id: version.id });
  }

  /** Versions in review that the caller may decide: approve on the procedure, not its author. */
  async pendingFor(ability: CallerAbility, limit: number): Promise<PendingVersionReview[]> {
    const acl = accessFilter([ability.scopeFor('approve', 'Procedure')], { projectId: 'p.project_id', procedureId: 'p.id' }, ability.userId, 'rev');
    const rows: Array<Record<string, unknown>> = await this.dataSource.getRepository(ProcedureVersionEntity).createQueryBuilder('v')
      .select(['v.procedure_id AS procedure_id', 'p.name AS procedure_name', 'p.project_id AS project_id', 'v.version AS version',
        'v.created_by AS created_by', 'v.created_by_name AS created_by_name', 'v.created_at AS created_at'])
      .innerJoin(ProcedureEntity, 'p', 'p.id = v.procedure_id AND p.archived_at IS NULL')
      .where(`v.status = 'in_review'`)
      .andWhere('v.created_by IS DISTINCT FROM :me', { me: ability.userId })
      .andWhere(acl.sql, acl.params)
      .orderBy('v.created_at', 'ASC').limit(limit).getRawMany();
    return rows.map((r) => ({
      kind: 'version', procedureId: r.procedure_id as string, procedureName: r.procedure_name as string, projectId: r.project_id as string,
      version: r.version as number, author: { id: r.created_by as string | null, name: r.created_by_name as string }, submittedAt: (r.created_at as Date).toISOString(),
    }));
  }
}
