import { z } from 'zod';
import { ACTIONS, SUBJECTS } from './permission';

export const permissionSchema = z.object({
  action: z.enum(ACTIONS, { error: `must be one of ${ACTIONS.join(', ')}` }),
  subject: z.enum(SUBJECTS, { error: `must be one of ${SUBJECTS.join(', ')}` }),
  own: z.boolean().optional(),
}).strict();

export const createRoleSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'must be 2-63 lower-case letters, digits or dashes'),
  description: z.string().max(500).default(''),
  permissions: z.array(permissionSchema).min(1, 'must list at least one permission').max(100),
}).strict();

export const createBindingSchema = z.object({
  subject: z.object({ type: z.enum(['user', 'team']), id: z.string().uuid('must be a UUID') }).strict(),
  role: z.string().min(1).max(63),
  scope: z.object({ type: z.enum(['global', 'project', 'procedure']), id: z.string().uuid('must be a UUID').optional() }).strict()
    .refine((s) => (s.type === 'global') === (s.id === undefined), { message: 'id is required for project and procedure scopes, and not allowed for global', path: ['id'] }),
}).strict();

export type CreateRoleInput = z.infer<typeof createRoleSchema>;
export type CreateBindingInput = z.infer<typeof createBindingSchema>;
