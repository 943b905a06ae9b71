import type { UserEntity } from './user.entity';
import type { TokenScope } from './api-token.entity';

/** Who a request authenticated as, and how. */
export interface AuthenticatedCaller {
  user: UserEntity;
  via: 'session' | 'token';
  sessionIdHash?: string;
  tokenId?: string;
  tokenScopes: TokenScope[] | null;
}
