/** Exchanges an API token for the session cookie (httpOnly: the page never holds the session). */
export async function signInWithToken(token: string): Promise<{ ok: true } | { ok: false; message: string }> {
  const response = await fetch('/auth/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
  if (response.ok) return { ok: true };
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  return { ok: false, message: body.message ?? `the broker answered ${response.status}` };
}

export interface IdentityProvider {
  name: string;
  label: string;
}

/** The identity providers configured at the broker (each gets a button); none when it has none. */
export async function identityProviders(): Promise<IdentityProvider[]> {
  const response = await fetch('/auth/providers');
  return response.ok ? ((await response.json()) as IdentityProvider[]) : [];
}

export async function signOut(): Promise<void> {
  await fetch('/auth/logout', { method: 'POST' });
}
