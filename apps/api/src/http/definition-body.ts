import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { DefinitionInput } from '@switchboard/procedures';

const YAML_TYPES = /^(application|text)\/(x-)?yaml\b/i;

/** A procedure definition from the body: YAML text (application/yaml) or a JSON document. */
export const DefinitionBody = createParamDecorator((_data: unknown, ctx: ExecutionContext): DefinitionInput => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  const contentType = String(request.headers['content-type'] ?? '');
  if (YAML_TYPES.test(contentType)) return { body: String(request.body ?? ''), contentType: 'yaml' };
  return { body: request.body, contentType: 'object' };
});

export const YAML_CONTENT_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml', 'text/x-yaml'];
