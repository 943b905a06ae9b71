/**
 * Preloaded (`-r`) into extra api processes by `BENCH_ACCESS_WHAT_IF=1 npm run bench:access`: run-time
 * stand-ins for changes bench/ACCESS.md suggests, so their effect is measured, not guessed.
 * They patch prototypes of the product's classes in that process only; no product file changes.
 * BENCH_ACCESS_WHAT_IF_PATCHES lists them, comma-separated:
 *   session-cache  authenticateSession remembers a resolved session cookie for 5 s, as
 *                  authenticateToken does with bearer tokens (the real change would also drop it
 *                  through AccessInvalidation on logout and keep the idle and absolute expiry checks)
 *
 * Earlier stand-ins (token cache, named prepared statements, hand-written catalog SQL, permissionsOf
 * once per project) are product behaviour now; their measured effect is in bench/ACCESS.md.
 */
import 'reflect-metadata';
import { AuthenticationService } from '@switchboard/identity';

const patches = new Set((process.env.BENCH_ACCESS_WHAT_IF_PATCHES ?? '').split(',').map((p) => p.trim()).filter(Boolean));

if (patches.has('session-cache')) {
  const original = AuthenticationService.prototype.authenticateSession;
  const cache = new Map<string, { caller: Awaited<ReturnType<typeof original>>; expiresAt: number }>();
  AuthenticationService.prototype.authenticateSession = async function authenticateSession(this: AuthenticationService, cookieValue: string) {
    const hit = cache.get(cookieValue);
    if (hit && hit.expiresAt > Date.now()) return hit.caller;
    const caller = await original.call(this, cookieValue);
    if (caller) cache.set(cookieValue, { caller, expiresAt: Date.now() + 5_000 });
    return caller;
  };
}
