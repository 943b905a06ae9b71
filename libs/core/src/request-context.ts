import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is calling and from where: carried through a request so logs and audit events name it. */
export interface RequestContext {
  requestId: string;
  ip?: string;
  userAgent?: string;
}

export const requestContextStorage = new AsyncLocalStorage<RequestContext>();

export function currentRequestContext(): RequestContext | undefined {
  return requestContextStorage.getStore();
}
