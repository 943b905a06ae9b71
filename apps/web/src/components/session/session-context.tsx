import { createContext, type ReactNode, useContext } from 'react';
import type { AccessTarget } from '../../api/permissions';
import { can as canWith } from '../../api/permissions';
import type { Me, PermissionsView } from '../../api/types';

export interface Session {
  me: Me;
  permissions: PermissionsView;
  /** Whether to offer an action; the server still decides. */
  can(action: string, subject: string, target?: AccessTarget): boolean;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ me, permissions, children }: { me: Me; permissions: PermissionsView; children: ReactNode }): ReactNode {
  const value: Session = { me, permissions, can: (action, subject, target) => canWith(permissions, action, subject, target) };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}
