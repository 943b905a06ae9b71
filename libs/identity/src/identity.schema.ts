import { z } from 'zod';

export const usernameSchema = z.string().trim().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{1,62}$/, 'must be 2-63 letters, digits, dots, underscores or dashes, starting with a letter or digit');

export const loginSchema = z.object({
  username: z.string().min(1, 'is required').max(200, 'is too long'),
  password: z.string().min(1, 'is required').max(1000, 'is too long'),
}).strict();

export const createUserSchema = z.object({
  username: usernameSchema,
  password: z.string().min(12, 'must be at least 12 characters').max(1000, 'is too long').optional(),
  displayName: z.string().trim().min(1).max(200).optional(),
  email: z.string().email('must be an email address').max(320).optional(),
  serviceAccount: z.boolean().optional(),
}).strict().refine((v) => v.serviceAccount || v.password, { message: 'is required unless serviceAccount is true', path: ['password'] });

export const updateUserSchema = z.object({
  displayName: z.string().trim().min(1).max(200).optional(),
  email: z.string().email('must be an email address').max(320).nullable().optional(),
  disabled: z.boolean().optional(),
  password: z.string().min(12, 'must be at least 12 characters').max(1000).optional(),
}).strict();

export const tokenScopeSchema = z.object({
  action: z.string().min(1).max(50),
  subject: z.string().min(1).max(50),
  id: z.string().uuid('must be a UUID').optional(),
}).strict();

export const createTokenSchema = z.object({
  name: z.string().trim().min(1, 'is required').max(100, 'is too long'),
  expiresAt: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
  scopes: z.array(tokenScopeSchema).max(50).optional(),
  /** Admins may create tokens for service accounts. */
  userId: z.string().uuid().optional(),
}).strict();

export type CreateUserInput = z.infer<typeof createUserSchema>;
export type UpdateUserInput = z.infer<typeof updateUserSchema>;
export type CreateTokenInput = z.infer<typeof createTokenSchema>;
