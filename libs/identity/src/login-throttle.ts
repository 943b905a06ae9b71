import type { Redis } from 'ioredis';

/**
 * Counts failed logins per username and per source IP in Redis, so every api process sees the same
 * counts. Past the limit, logins are refused (even with the right password) until the window ends.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly maxFailures: number,
    private readonly windowSeconds: number,
    private readonly maxFailuresPerIp: number,
  ) {}

  private keys(username: string, ip: string): [string, string] {
    return [`switchboard:login-fail:user:${username.toLowerCase()}`, `switchboard:login-fail:ip:${ip}`];
  }

  /** Seconds until the caller may try again, or 0 when not locked out. */
  async lockedFor(username: string, ip: string): Promise<number> {
    const [userKey, ipKey] = this.keys(username, ip);
    const [userCount, ipCount] = await this.redis.mget(userKey, ipKey);
    // The IP limit is wider: one office behind a NAT must not lock everyone out after 5 typos.
    const userLocked = Number(userCount ?? 0) >= this.maxFailures;
    const ipLocked = Number(ipCount ?? 0) >= this.maxFailuresPerIp;
    if (!userLocked && !ipLocked) return 0;
    const ttl = await this.redis.ttl(userLocked ? userKey : ipKey);
    return Math.max(ttl, 1);
  }

  /** Records a failure; returns how many failures this username has in the window. */
  async recordFailure(username: string, ip: string): Promise<number> {
    const [userKey, ipKey] = this.keys(username, ip);
    const results = await this.redis
      .multi()
      .incr(userKey)
      .expire(userKey, this.windowSeconds, 'NX')
      .incr(ipKey)
      .expire(ipKey, this.windowSeconds, 'NX')
      .exec();
    return Number(results?.[0]?.[1] ?? 1);
  }

  async reset(username: string): Promise<void> {
    await this.redis.del(this.keys(username, '')[0]);
  }
}
