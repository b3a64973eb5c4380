import { LoginError } from './login-error.js';

const BASE = 'https://skypool.invalid';

/**
 * Where to send the browser after the login: only a path on this site ("/portal?x=1"), never
 * another origin ("//evil.example", "https://...", "/\\evil.example", "javascript:..."), before or
 * after "." and ".." are resolved. Unset: "/".
 */
export function safeReturnPath(raw: unknown): string {
  if (raw === undefined || raw === '') return '/';
  const refuse = () => new LoginError('invalid_return_to', 'returnTo must be a path on this site, such as /portal');
  if (typeof raw !== 'string' || raw.length > 2048) throw refuse();
  // a second slash or a backslash would make browsers read a host; control characters hide one
  if (!raw.startsWith('/') || raw.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(raw)) throw refuse();
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    throw refuse();
  }
  if (url.origin !== BASE) throw refuse();
  // checked again once normalised: "/.//evil.example" and "/%2e%2e//evil.example" become "//evil.example"
  const path = url.pathname + url.search + url.hash;
  if (path.startsWith('//')) throw refuse();
  return path;
}
