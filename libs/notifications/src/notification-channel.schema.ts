import { z } from 'zod';
import { NOTIFICATION_EVENTS } from './notification-event';

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'must be a header name');

export const createChannelSchema = z.discriminatedUnion('type', [
  z.object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lower-case letters, digits or dashes'),
    type: z.literal('email'),
    config: z.object({ to: z.array(z.string().email('must be an email address')).min(1, 'needs at least one recipient').max(50) }).strict(),
    events: z.array(z.enum(NOTIFICATION_EVENTS)).max(20).default([]),
  }).strict(),
  z.object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lower-case letters, digits or dashes'),
    type: z.literal('webhook'),
    config: z.object({ url: z.string().url('must be a URL').max(2000), headers: z.record(headerName, z.string().max(2000)).optional() }).strict(),
    events: z.array(z.enum(NOTIFICATION_EVENTS)).max(20).default([]),
  }).strict(),
  z.object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lower-case letters, digits or dashes'),
    type: z.literal('slack'),
    config: z.object({ url: z.string().url('must be a URL').max(2000) }).strict(),
    events: z.array(z.enum(NOTIFICATION_EVENTS)).max(20).default([]),
  }).strict(),
]);

export const updateChannelSchema = z.object({
  events: z.array(z.enum(NOTIFICATION_EVENTS)).max(20).optional(),
  config: z.object({ to: z.array(z.string().email()).min(1).max(50) }).strict().optional(),
}).strict();

export type CreateChannelInput = z.infer<typeof createChannelSchema>;
export type UpdateChannelInput = z.infer<typeof updateChannelSchema>;
