/** The browser session after a login: a random token; the LoginSession table holds its SHA-256. */
export const SESSION_COOKIE = 'skypool_session';

/** A login on its way through the identity provider (state, nonce, PKCE verifier), sealed. */
export const LOGIN_COOKIE = 'skypool_login';

/** The value of one cookie in a Cookie header, or undefined (no cookie-parser middleware needed). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}
