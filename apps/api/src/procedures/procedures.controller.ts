import { Body, Controller, Delete, Get, Header, HttpCode, Param, ParseIntPipe, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiConsumes, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Authenticated, Requires } from '@switchboard/access';
import {
  type DefinitionInput, diffDefinitions, type LoadedProcedure, ProcedureReviewService, ProcedureService, type ProcedureVersionEntity,
} from '@switchboard/procedures';
import { ApiZodBody } from '../http/api-zod-body.decorator';

const decisionSchema = z.object({ comment: z.string().max(2000).optional() }).strict();
const VERSION = new ParseIntPipe({ errorHttpStatusCode: 404 });
import { Caller, type RequestCaller } from '../http/current-caller.decorator';
import { ZodPipe } from '../http/zod-body.pipe';
import { DefinitionBody } from '../http/definition-body';
import { decodeCursor, encodeCursor, pageQuerySchema } from '../http/page-query';

const UUID = new ParseUUIDPipe({ errorHttpStatusCode: 404 });
const catalogQuery = pageQuerySchema.extend({ project: z.string().uuid('must be a project id').optional(), q: z.string().max(200).optional() });

function versionView(version: ProcedureVersionEntity, includeDefinition: boolean): Record<string, unknown> {
  return {
    version: version.version, status: version.status, createdAt: version.createdAt.toISOString(),
    createdBy: { id: version.createdBy, name: version.createdByName }, decidedBy: version.decidedBy, decidedAt: version.decidedAt?.toISOString() ?? null,
    decisionComment: version.decisionComment,
    ...(includeDefinition ? { definition: version.definition, source: version.source, parameterSchema: version.parameterSchema } : {}),
  };
}

/**
 * What a caller sees of a procedure. With `run` but not `read`, only what the run form needs:
 * name, description, parameters; never the steps' text (ARCHITECTURE.md §4, "run but not read").
 */
function procedureView(loaded: LoadedProcedure): Record<string, unknown> {
  const { procedure, project, version, permissions } = loaded;
  const definition = version?.definition;
  return {
    id: procedure.id, projectId: procedure.projectId, projectName: project.name, name: procedure.name, description: procedure.description,
    version: procedure.activeVersion, latestVersion: procedure.latestVersion,
    parameterSchema: version?.parameterSchema ?? null,
    approval: definition?.approval ? { when: definition.approval.when ?? null, approvers: definition.approval.approvers } : null,
    definition: permissions.read ? definition ?? null : undefined,
    tags: definition?.tags ?? [],
    workerGroup: definition?.worker_group,
    permissions,
    createdAt: procedure.createdAt.toISOString(), updatedAt: procedure.updatedAt.toISOString(),
    archived: procedure.archivedAt !== null,
  };
}

@ApiTags('procedures')
@Controller()
export class ProceduresController {
  constructor(private readonly procedures: ProcedureService, private readonly review: ProcedureReviewService) {}

  /** The catalog: what the caller may read or run. */
  @Get('procedures')
  @Authenticated()
  async catalog(@Caller() caller: RequestCaller, @Query(new ZodPipe(catalogQuery, 'query')) query: z.infer<typeof catalogQuery>): Promise<Record<string, unknown>> {
    const after = query.cursor ? decodeCursor<{ name: string; id: string }>(query.cursor) : null;
    const rows = await this.procedures.list(caller.ability!, { projectId: query.project, q: query.q, limit: query.limit + 1, after });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((p) => ({
        id: p.id, projectId: p.projectId, projectName: p.projectName, name: p.name, description: p.description, version: p.activeVersion,
        permissions: this.procedures.permissionsOf(caller.ability!, p), updatedAt: p.updatedAt.toISOString(),
      })),
      nextCursor: rows.length > query.limit ? encodeCursor({ name: last.name, id: last.id }) : null,
    };
  }

  @Post('projects/:id/procedures')
  @Requires('create', 'Procedure')
  @ApiConsumes('application/yaml', 'application/json')
  async create(@Caller() caller: RequestCaller, @Param('id', UUID) projectId: string, @DefinitionBody() body: DefinitionInput): Promise<Record<string, unknown>> {
    const { procedure, version } = await this.procedures.create(caller.actor, caller.ability!, projectId, body);
    return { id: procedure.id, projectId, name: procedure.name, version: version.version, status: version.status };
  }

  @Get('procedures/:id')
  @Authenticated()
  async get(@Caller() caller: RequestCaller, @Param('id', UUID) id: string): Promise<Record<string, unknown>> {
    return procedureView(await this.procedures.load(caller.ability!, id));
  }

  @Get('procedures/:id/versions')
  @Authenticated()
  async versions(@Caller() caller: RequestCaller, @Param('id', UUID) id: string): Promise<Record<string, unknown>> {
    const versions = await this.procedures.versions(caller.ability!, id);
    return { items: versions.map((v) => versionView(v, false)), nextCursor: null };
  }

  @Post('procedures/:id/versions')
  @Requires('update', 'Procedure')
  @ApiConsumes('application/yaml', 'application/json')
  async propose(@Caller() caller: RequestCaller, @Param('id', UUID) id: string, @DefinitionBody() body: DefinitionInput): Promise<Record<string, unknown>> {
    const version = await this.procedures.proposeVersion(caller.actor, caller.ability!, id, body);
    return { id, ...versionView(version, false) };
  }

  /** One version, with a structured diff against the active one for reviewers. */
  @Get('procedures/:id/versions/:n')
  @Authenticated()
  async version(@Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Param('n', new ParseIntPipe({ errorHttpStatusCode: 404 })) n: number): Promise<Record<string, unknown>> {
    const version = await this.procedures.version(caller.ability!, id, n);
    const loaded = await this.procedures.load(caller.ability!, id, { includeArchived: true });
    const diff = loaded.version && loaded.version.id !== version.id ? diffDefinitions(loaded.version.definition, version.definition) : [];
    return { id, ...versionView(version, true), diffAgainstActive: { activeVersion: loaded.version?.version ?? null, changes: diff } };
  }

  @Post('procedures/:id/versions/:n/submit')
  @HttpCode(200)
  @Requires('update', 'Procedure')
  async submit(@Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Param('n', VERSION) n: number): Promise<Record<string, unknown>> {
    return { id, ...versionView(await this.review.submit(caller.actor, caller.ability!, id, n), false) };
  }

  /** Activates a version in review; the reviewer is never its author. */
  @Post('procedures/:id/versions/:n/approve')
  @HttpCode(200)
  @Requires('approve', 'Procedure')
  @ApiZodBody(decisionSchema)
  async approve(
    @Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Param('n', VERSION) n: number, @Body(new ZodPipe(decisionSchema)) body: z.infer<typeof decisionSchema>,
  ): Promise<Record<string, unknown>> {
    return { id, ...versionView(await this.review.decide(caller.actor, caller.ability!, id, n, 'approve', body.comment ?? null), false) };
  }

  @Post('procedures/:id/versions/:n/reject')
  @HttpCode(200)
  @Requires('approve', 'Procedure')
  @ApiZodBody(decisionSchema)
  async reject(
    @Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Param('n', VERSION) n: number, @Body(new ZodPipe(decisionSchema)) body: z.infer<typeof decisionSchema>,
  ): Promise<Record<string, unknown>> {
    return { id, ...versionView(await this.review.decide(caller.actor, caller.ability!, id, n, 'reject', body.comment ?? null), false) };
  }

  @Get('procedures/:id/export')
  @Authenticated()
  @Header('content-type', 'application/yaml; charset=utf-8')
  async export(@Caller() caller: RequestCaller, @Param('id', UUID) id: string): Promise<string> {
    return this.procedures.exportYaml(caller.ability!, id);
  }

  @Delete('procedures/:id')
  @HttpCode(204)
  @Requires('delete', 'Procedure')
  async archive(@Caller() caller: RequestCaller, @Param('id', UUID) id: string): Promise<void> {
    await this.procedures.archive(caller.actor, caller.ability!, id);
  }
}
