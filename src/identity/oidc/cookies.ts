import type { CookieOptions } from 'express';
import type { IncomingHttpHeaders } from 'node:http';

/** The browser session (an OIDC login, or a token exchanged at POST /auth/token): a random token; the LoginSession table holds its SHA-256. */
export const SESSION_COOKIE = 'skypool_session';

/**
 * Where the session cookie goes and who reads it: not page scripts (httpOnly); every path; sent
 * when the browser navigates to the broker from elsewhere, but not with another site's POST
 * (SameSite=Lax). Setting and clearing it must name the same scope.
 */
export const SESSION_COOKIE_SCOPE = { httpOnly: true, sameSite: 'lax', path: '/' } as const satisfies CookieOptions;

/** The options that set the session cookie: Secure when the browser came over https, so it never travels in clear. */
export function sessionCookieOptions(secure: boolean, maxAgeMs: number): CookieOptions {
  return { ...SESSION_COOKIE_SCOPE, secure, maxAge: maxAgeMs };
}

/**
 * Whether the browser reached the broker over https: directly, or through a proxy that
 * terminates TLS and says so in X-Forwarded-Proto. The header is trusted only to add Secure to a
 * cookie, which makes it stricter, never looser.
 */
export function cameOverHttps(request: { secure: boolean; headers: IncomingHttpHeaders }): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return request.secure || first === 'https';
}

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
