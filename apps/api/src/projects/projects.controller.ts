import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Authenticated, Requires } from '@switchboard/access';
import {
  type CreateProjectInput, createProjectSchema, ProjectService, type ProjectView, toProjectView, type UpdateProjectInput, updateProjectSchema,
} from '@switchboard/procedures';
import { Caller, type RequestCaller } from '../http/current-caller.decorator';
import { ZodPipe } from '../http/zod-body.pipe';
import { ApiZodBody } from '../http/api-zod-body.decorator';
import { decodeCursor, encodeCursor, pageQuerySchema } from '../http/page-query';

const UUID = new ParseUUIDPipe({ errorHttpStatusCode: 404 });

@ApiTags('projects')
@Controller('projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectService) {}

  /** Projects in which the caller may read or run something. */
  @Get()
  @Authenticated()
  async list(@Caller() caller: RequestCaller, @Query(new ZodPipe(pageQuerySchema, 'query')) query: { limit: number; cursor?: string }): Promise<{ items: ProjectView[]; nextCursor: string | null }> {
    const rows = await this.projects.list(caller.ability!, query.limit + 1, query.cursor ? decodeCursor(query.cursor) : null);
    const items = rows.slice(0, query.limit).map(toProjectView);
    return { items, nextCursor: rows.length > query.limit ? encodeCursor(items[items.length - 1].name) : null };
  }

  @Post()
  @Requires('create', 'Project')
  @ApiZodBody(createProjectSchema)
  async create(@Caller() caller: RequestCaller, @Body(new ZodPipe(createProjectSchema)) body: CreateProjectInput): Promise<ProjectView> {
    return toProjectView(await this.projects.create(caller.actor, body));
  }

  @Get(':id')
  @Authenticated()
  async get(@Caller() caller: RequestCaller, @Param('id', UUID) id: string): Promise<ProjectView> {
    return toProjectView(await this.projects.get(caller.ability!, id));
  }

  @Patch(':id')
  @Requires('update', 'Project')
  @ApiZodBody(updateProjectSchema)
  async update(@Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Body(new ZodPipe(updateProjectSchema)) body: UpdateProjectInput): Promise<ProjectView> {
    return toProjectView(await this.projects.update(caller.actor, caller.ability!, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @Requires('delete', 'Project')
  async remove(@Caller() caller: RequestCaller, @Param('id', UUID) id: string): Promise<void> {
    await this.projects.remove(caller.actor, caller.ability!, id);
  }
}
