import { ApiBody } from '@nestjs/swagger';
import { z } from 'zod';

/** Documents a zod-validated body in the OpenAPI document from the same schema that validates it. */
export function ApiZodBody(schema: z.ZodType): MethodDecorator {
  const jsonSchema = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  delete jsonSchema.$schema;
  return ApiBody({ schema: jsonSchema });
}
