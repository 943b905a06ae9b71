import { Injectable } from '@nestjs/common';
import { InvalidatedCache } from '@switchboard/core';
import { AccessInvalidation, EVERYONE } from './access-invalidation';
import { AccessRepository } from './access.repository';
import { CallerAbility, type Grant, type TokenScopes } from './caller-ability';

const TTL_MS = 60_000;

/** Abilities built from one grants array: the owner's own, and one per narrowed token's scopes. */
interface Abilities {
  own?: CallerAbility;
  narrowed: WeakMap<TokenScopes, CallerAbility>;
}

/**
 * Caches each user's grants (bindings resolved through teams and roles) in the api process, and
 * drops them in every process the moment a binding, membership, role or user changes (through
 * AccessInvalidation). The TTL bounds staleness should an invalidation ever go unnoticed.
 */
@Injectable()
export class GrantCache {
  private readonly cache: InvalidatedCache<Grant[]>;
  /** Keyed by the cached grants array itself: a new array (after a change or the TTL) builds new abilities. */
  private readonly abilities = new WeakMap<Grant[], Abilities>();

  constructor(
    private readonly repository: AccessRepository,
    private readonly invalidation: AccessInvalidation,
  ) {
    this.cache = new InvalidatedCache<Grant[]>(invalidation, { ttlMs: TTL_MS, tagOf: (userId) => userId });
  }

  grantsFor(userId: string): Promise<Grant[]> {
    return this.cache.get(userId, () => this.repository.grantsForUser(userId));
  }

  /**
   * The caller's ability from their current grants, intersected with a narrowed token's scopes. An
   * ability depends on nothing else, so it is built once per grants array and scopes object and
   * reused by every request that brings the same ones.
   */
  async abilityFor(userId: string, tokenScopes: TokenScopes | null): Promise<CallerAbility> {
    const grants = await this.grantsFor(userId);
    let built = this.abilities.get(grants);
    if (!built) {
      built = { narrowed: new WeakMap() };
      this.abilities.set(grants, built);
    }
    if (tokenScopes === null) return (built.own ??= new CallerAbility(userId, grants, null));
    let ability = built.narrowed.get(tokenScopes);
    if (!ability) {
      ability = new CallerAbility(userId, grants, tokenScopes);
      built.narrowed.set(tokenScopes, ability);
    }
    return ability;
  }

  /** Tells every api process (this one included) that a user's access changed; `*` for everyone. */
  invalidate(userId: string = EVERYONE): Promise<void> {
    return this.invalidation.invalidate(userId);
  }
}
