import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type Actor, ConflictError, ForbiddenError, InvalidError, NotFoundError, NotVisibleError, TooLargeError, TransactionRunner } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import type { CallerAbility } from '@switchboard/access';
import {
  compileParameterSchema, DEFINITION_MAX_BYTES, type DefinitionContentType, DefinitionError, exportDefinition, parseDefinition,
  type ProcedureDefinition,
} from './definition';
import { ProcedureEntity } from './procedure.entity';
import { type CatalogEntry, type CatalogFilter, ProcedureRepository } from './procedure.repository';
import { ProcedureVersionEntity, type VersionStatus } from './procedure-version.entity';
import { ProjectEntity } from './project.entity';
import { ProjectService } from './project.service';

export interface DefinitionInput {
  body: unknown;
  contentType: DefinitionContentType;
}

export interface ProcedurePermissions {
  read: boolean;
  run: boolean;
  update: boolean;
  archive: boolean;
  approve: boolean;
}

/** A procedure with its active version, as loaded for the caller. */
export interface LoadedProcedure {
  procedure: ProcedureEntity;
  project: ProjectEntity;
  version: ProcedureVersionEntity | null;
  permissions: Readonly<ProcedurePermissions>;
}

// Per ability, at most this many remembered answers (one per project, or per procedure where rules name procedures).
const MAX_REMEMBERED_PERMISSIONS = 1_000;

export function procedureAttributes(procedure: Pick<ProcedureEntity, 'id' | 'projectId'>): { projectId: string; procedureId: string } {
  return { projectId: procedure.projectId, procedureId: procedure.id };
}

/** Defining procedures: create from YAML/JSON, new immutable versions, catalog, export, archive. */
@Injectable()
export class ProcedureService {
  /** Answers already computed, per ability (abilities are immutable and reused across requests). */
  private readonly remembered = new WeakMap<CallerAbility, Map<string, Readonly<ProcedurePermissions>>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly projects: ProjectService,
    private readonly repository: ProcedureRepository,
  ) {}

  /**
   * What the caller may do with a procedure. Unless a rule names single procedures, every
   * procedure of a project gets the same answers, so they are computed once per project.
   */
  permissionsOf(ability: CallerAbility, procedure: Pick<ProcedureEntity, 'id' | 'projectId'>): Readonly<ProcedurePermissions> {
    const key = ability.hasObjectRules ? `${procedure.projectId}/${procedure.id}` : procedure.projectId;
    let known = this.remembered.get(ability);
    if (!known) {
      known = new Map();
      this.remembered.set(ability, known);
    }
    let permissions = known.get(key);
    if (!permissions) {
      const attrs = procedureAttributes(procedure);
      permissions = Object.freeze({
        read: ability.can('read', 'Procedure', attrs),
        run: ability.can('run', 'Procedure', attrs),
        update: ability.can('update', 'Procedure', attrs),
        archive: ability.can('delete', 'Procedure', attrs),
        approve: ability.can('approve', 'Procedure', attrs),
      });
      if (known.size >= MAX_REMEMBERED_PERMISSIONS) known.clear();
      known.set(key, permissions);
    }
    return permissions;
  }

  /** Loads a procedure the caller may read or run; anything else is "not found". */
  async load(ability: CallerAbility, id: string, options: { includeArchived?: boolean; manager?: EntityManager } = {}): Promise<LoadedProcedure> {
    const manager = options.manager ?? this.dataSource.manager;
    const procedure = await manager.getRepository(ProcedureEntity).findOneBy({ id });
    if (!procedure || (procedure.archivedAt && !options.includeArchived)) throw new NotFoundError('procedure');
    const permissions = this.permissionsOf(ability, procedure);
    if (!permissions.read && !permissions.run) throw new NotVisibleError('procedure', 'procedure', procedure.id);
    const project = await manager.getRepository(ProjectEntity).findOneByOrFail({ id: procedure.projectId });
    const version = procedure.activeVersionId ? await manager.getRepository(ProcedureVersionEntity).findOneBy({ id: procedure.activeVersionId }) : null;
    return { procedure, project, version, permissions };
  }

  /** The catalog: procedures the caller may read or run, filtered in SQL, keyset-paged by name. */
  list(ability: CallerAbility, filter: CatalogFilter): Promise<CatalogEntry[]> {
    return this.repository.catalogPage(ability, filter);
  }

  async create(actor: Actor, ability: CallerAbility, projectId: string, input: DefinitionInput): Promise<{ procedure: ProcedureEntity; version: ProcedureVersionEntity }> {
    const { definition, source } = parse(input);
    return this.tx.run(async (manager) => {
      const project = await this.projects.get(ability, projectId, manager);
      if (!ability.can('create', 'Procedure', { projectId: project.id, procedureId: null })) {
        throw new ForbiddenError('you may not create procedures in this project');
      }
      const existing = await manager.getRepository(ProcedureEntity).createQueryBuilder('p')
        .where('p.project_id = :projectId AND p.name = :name AND p.archived_at IS NULL', { projectId, name: definition.name }).getOne();
      if (existing) throw new ConflictError(`a procedure named ${definition.name} already exists in project ${project.name}`);
      const repo = manager.getRepository(ProcedureEntity);
      const procedure = await repo.save(repo.create({
        projectId, name: definition.name, description: definition.description, createdBy: actor.id, latestVersion: 0, activeVersionId: null, activeVersion: null, archivedAt: null,
      }));
      const version = await this.addVersion(manager, actor, ability, project, procedure, definition, source);
      return { procedure, version };
    });
  }

  /** Proposes a new version. It is active at once unless the project requires review. */
  async proposeVersion(actor: Actor, ability: CallerAbility, procedureId: string, input: DefinitionInput): Promise<ProcedureVersionEntity> {
    const { definition, source } = parse(input);
    return this.tx.run(async (manager) => {
      const { procedure, project, permissions } = await this.load(ability, procedureId, { manager });
      if (!permissions.update) throw new ForbiddenError('you may not change this procedure');
      // Lock the procedure row: two proposals at once must get distinct version numbers.
      await manager.query('SELECT 1 FROM procedures WHERE id = $1 FOR UPDATE', [procedure.id]);
      const fresh = await manager.getRepository(ProcedureEntity).findOneByOrFail({ id: procedure.id });
      if (definition.name !== fresh.name) {
        throw new InvalidError('invalid definition', [{ field: 'name', message: `must stay ${fresh.name}; create a new procedure to use another name` }]);
      }
      return this.addVersion(manager, actor, ability, project, fresh, definition, source);
    });
  }

  private async addVersion(
    manager: EntityManager, actor: Actor, ability: CallerAbility, project: ProjectEntity, procedure: ProcedureEntity,
    definition: ProcedureDefinition, source: string,
  ): Promise<ProcedureVersionEntity> {
    const attrs = procedureAttributes(procedure);
    // Review applies when the project asks for it; otherwise whoever may update activates directly.
    const status: VersionStatus = project.requireReview ? 'draft' : 'active';
    const number = procedure.latestVersion + 1;
    const repo = manager.getRepository(ProcedureVersionEntity);
    const version = await repo.save(repo.create({
      procedureId: procedure.id, version: number, status, definition, source, parameterSchema: compileParameterSchema(definition.parameters) as unknown as Record<string, unknown>,
      createdBy: actor.id, createdByName: actor.name, decidedBy: null, decidedAt: null, decisionComment: null,
    }));
    const previousActive = procedure.activeVersionId;
    if (status === 'active') {
      if (previousActive) await manager.update(ProcedureVersionEntity, { id: previousActive }, { status: 'superseded' });
      await manager.update(ProcedureEntity, { id: procedure.id }, { latestVersion: number, activeVersionId: version.id, activeVersion: number, description: definition.description });
    } else {
      await manager.update(ProcedureEntity, { id: procedure.id }, { latestVersion: number });
    }
    await this.audit.record(manager, actor, {
      action: number === 1 ? 'procedure.created' : 'procedure.version.created', outcome: 'succeeded',
      resourceType: 'procedure', resourceId: procedure.id, projectId: attrs.projectId,
      details: { name: procedure.name, version: number, status, activated: status === 'active', viaScope: ability.isAdmin ? 'admin' : 'binding' },
    });
    return version;
  }

  async versions(ability: CallerAbility, procedureId: string): Promise<ProcedureVersionEntity[]> {
    const { permissions } = await this.load(ability, procedureId, { includeArchived: true });
    if (!permissions.read) throw new ForbiddenError('reading the definition needs read on the procedure');
    return this.dataSource.getRepository(ProcedureVersionEntity).find({ where: { procedureId }, order: { version: 'DESC' }, take: 500 });
  }

  async version(ability: CallerAbility, procedureId: string, number: number): Promise<ProcedureVersionEntity> {
    const { permissions } = await this.load(ability, procedureId, { includeArchived: true });
    if (!permissions.read) throw new ForbiddenError('reading the definition needs read on the procedure');
    const version = await this.dataSource.getRepository(ProcedureVersionEntity).findOneBy({ procedureId, version: number });
    if (!version) throw new NotFoundError('version');
    return version;
  }

  async exportYaml(ability: CallerAbility, procedureId: string): Promise<string> {
    const { version, permissions } = await this.load(ability, procedureId);
    if (!permissions.read) throw new ForbiddenError('exporting needs read on the procedure');
    if (!version) throw new ConflictError('the procedure has no active version yet');
    return exportDefinition(version.definition);
  }

  async archive(actor: Actor, ability: CallerAbility, procedureId: string): Promise<void> {
    await this.tx.run(async (manager) => {
      const { procedure, permissions } = await this.load(ability, procedureId, { manager });
      if (!permissions.archive) throw new ForbiddenError('you may not archive this procedure');
      await manager.update(ProcedureEntity, { id: procedure.id }, { archivedAt: new Date() });
      await this.audit.record(manager, actor, {
        action: 'procedure.archived', outcome: 'succeeded', resourceType: 'procedure', resourceId: procedure.id, projectId: procedure.projectId,
        details: { name: procedure.name, activeVersion: procedure.activeVersion },
      });
    });
  }
}

function parse(input: DefinitionInput): { definition: ProcedureDefinition; source: string } {
  const source = typeof input.body === 'string' ? input.body : JSON.stringify(input.body ?? null, null, 2);
  if (Buffer.byteLength(source) > DEFINITION_MAX_BYTES) throw new TooLargeError(`a definition may be at most ${DEFINITION_MAX_BYTES} bytes`);
  try {
    const contentType = typeof input.body === 'string' ? input.contentType : 'object';
    return { definition: parseDefinition(input.body as string | object, contentType), source };
  } catch (error) {
    if (error instanceof DefinitionError) {
      throw new InvalidError('invalid procedure definition', error.errors.map((e) => ({ field: e.path, message: e.message, line: e.line })));
    }
    throw error;
  }
}
