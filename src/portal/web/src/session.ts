import { createContext, useContext } from 'react';
import type { MeQuery } from './api/generated';

export type Me = MeQuery['me'];

export const MeContext = createContext<Me | null>(null);

/** Who is signed in; pages render only inside a session. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a session');
  return me;
}

/** Admin pages are shown to federation and site admins only (the API refuses the rest anyway). */
export function isAdmin(me: Me): boolean {
  return me.roles.some((grant) => grant.role === 'FEDERATION_ADMIN' || grant.role === 'SITE_ADMIN');
}
