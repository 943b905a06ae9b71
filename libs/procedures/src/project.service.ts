import { Injectable, Optional } from '@nestjs/common';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { type Actor, ConflictError, ForbiddenError, NotFoundError, TransactionRunner } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { accessFilter, type CallerAbility, GrantCache } from '@switchboard/access';
import { ProjectEntity } from './project.entity';
import type { CreateProjectInput, UpdateProjectInput } from './project.schema';

export interface ProjectView {
  id: string;
  name: string;
  description: string;
  requireReview: boolean;
  runnersSeeOwnRunsOnly: boolean;
  createdAt: string;
}

export function toProjectView(project: ProjectEntity): ProjectView {
  return {
    id: project.id, name: project.name, description: project.description, requireReview: project.requireReview,
    runnersSeeOwnRunsOnly: project.runnersSeeOwnRunsOnly, createdAt: project.createdAt.toISOString(),
  };
}

const projectAttributes = (project: ProjectEntity): { projectId: string } => ({ projectId: project.id });

/** Projects: created by admins; visible to whoever holds any right inside them. */
@Injectable()
export class ProjectService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    @Optional() private readonly grants?: GrantCache,
  ) {}

  async list(ability: CallerAbility, limit: number, afterName: string | null): Promise<ProjectEntity[]> {
    const query = this.visible(ability).orderBy('pr.name', 'ASC').limit(limit);
    if (afterName) query.andWhere('pr.name > :afterName', { afterName });
    return query.getMany();
  }

  /** Loads a project the caller may see; "not found" otherwise, never revealing that it exists. */
  async get(ability: CallerAbility, id: string, manager?: EntityManager): Promise<ProjectEntity> {
    const project = await this.visible(ability, manager).andWhere('pr.id = :id', { id }).getOne();
    if (!project) throw new NotFoundError('project');
    return project;
  }

  /** A project is visible to anyone who may read it, or read or run something in it. */
  private visible(ability: CallerAbility, manager: EntityManager = this.dataSource.manager): SelectQueryBuilder<ProjectEntity> {
    const scopes = [ability.scopeFor('read', 'Project'), ability.scopeFor('read', 'Procedure'), ability.scopeFor('run', 'Procedure')];
    const filter = accessFilter(scopes, {
      projectId: 'pr.id',
      procedureId: 'proc.id',
      procedureMatch: (param) => `EXISTS (SELECT 1 FROM procedures proc WHERE proc.project_id = pr.id AND proc.id = ANY(${param}))`,
    }, ability.userId);
    return manager.getRepository(ProjectEntity).createQueryBuilder('pr').where(filter.sql, filter.params);
  }

  async create(actor: Actor, input: CreateProjectInput): Promise<ProjectEntity> {
    return this.tx.run(async (manager) => {
      const repo = manager.getRepository(ProjectEntity);
      if (await repo.findOneBy({ name: input.name })) throw new ConflictError(`project ${input.name} exists`);
      const project = await repo.save(repo.create(input));
      await this.audit.record(manager, actor, {
        action: 'project.created', outcome: 'succeeded', resourceType: 'project', resourceId: project.id, projectId: project.id,
        details: { after: toProjectView(project) },
      });
      return project;
    });
  }

  async update(actor: Actor, ability: CallerAbility, id: string, input: UpdateProjectInput): Promise<ProjectEntity> {
    const updated = await this.tx.run(async (manager) => {
      const repo = manager.getRepository(ProjectEntity);
      const project = await this.get(ability, id, manager);
      if (!ability.can('update', 'Project', projectAttributes(project))) throw new ForbiddenError('you may not change this project');
      const before = toProjectView(project);
      Object.assign(project, Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
      const saved = await repo.save(project);
      await this.audit.record(manager, actor, {
        action: 'project.updated', outcome: 'succeeded', resourceType: 'project', resourceId: id, projectId: id,
        details: { before, after: toProjectView(saved) },
      });
      return saved;
    });
    // runnersSeeOwnRunsOnly is part of every binding's meaning in this project.
    if (input.runnersSeeOwnRunsOnly !== undefined) await this.grants?.invalidate('*');
    return updated;
  }

  async remove(actor: Actor, ability: CallerAbility, id: string): Promise<void> {
    await this.tx.run(async (manager) => {
      const project = await this.get(ability, id, manager);
      if (!ability.can('delete', 'Project', projectAttributes(project))) throw new ForbiddenError('you may not delete this project');
      const [{ count }] = (await manager.query('SELECT count(*)::int AS count FROM procedures WHERE project_id = $1', [id])) as Array<{ count: number }>;
      if (count > 0) throw new ConflictError('the project still has procedures; archive them and keep the project, or move them first');
      await manager.delete(ProjectEntity, { id });
      await this.audit.record(manager, actor, {
        action: 'project.deleted', outcome: 'succeeded', resourceType: 'project', resourceId: id, projectId: id, details: { before: toProjectView(project) },
      });
    });
  }
}
