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
