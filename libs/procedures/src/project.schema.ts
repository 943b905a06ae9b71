import { z } from 'zod';

export const projectNameSchema = z.string().trim().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lower-case letters, digits or dashes');

export const createProjectSchema = z.object({
  name: projectNameSchema,
  description: z.string().max(2000).default(''),
  requireReview: z.boolean().default(false),
  runnersSeeOwnRunsOnly: z.boolean().default(false),
}).strict();

export const updateProjectSchema = z.object({
  description: z.string().max(2000).optional(),
  requireReview: z.boolean().optional(),
  runnersSeeOwnRunsOnly: z.boolean().optional(),
}).strict();

export type CreateProjectInput = z.infer<typeof createProjectSchema>;
export type UpdateProjectInput = z.infer<typeof updateProjectSchema>;
