import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build` puts the portal (src/portal/build-portal.mjs): dist/portal, found from
 * this module in dist/ or, in the test suites, in src/.
 */
export const PORTAL_DIR = fileURLToPath(new URL('../dist/portal/', import.meta.url));

/** Paths that belong to the API and the broker, never to the portal's client-side routes. */
const BROKER_PATHS = /^\/(graphql|auth|accounting|metrics|healthz|emulator)(\/|$)/;

/** Hashed file names only: nothing else under assets/ is served, and no path escapes the folder. */
const ASSET_NAME = /^\/assets\/([\w-]+\.(js|css|svg|png|woff2))$/;

/**
 * The page's scripts come from this origin only, never inline; it talks to this origin only
 * (HTTP and WebSocket), and no other site may frame it. Styles may be inline: the component
 * library (react-aria) sets some, and a style cannot run code.
 */
export const PORTAL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' };

/**
 * The portal at `/`: hashed assets kept by browsers for a year, and for every other page a
 * browser asks for outside the broker's own paths, the app's index.html (never cached, so a new
 * build is picked up), whose client-side router shows the page or its own "not found".
 */
export function portalPages(portalDir = PORTAL_DIR): RequestHandler {
  const indexFile = join(portalDir, 'index.html');
  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || BROKER_PATHS.test(req.path)) return next();
    if (req.path.startsWith('/assets/')) {
      const asset = ASSET_NAME.exec(req.path);
      if (!asset) return void res.status(404).type('text/plain').send('no such file\n');
      return res.sendFile(join(portalDir, 'assets', asset[1]!), { maxAge: '365d', immutable: true, headers: SECURITY_HEADERS }, (err) => {
        if (err && !res.headersSent) res.status(404).type('text/plain').send('no such file\n');
      });
    }
    // a browser's navigation asks for text/html; an API client's */* gets the broker's own 404
    if (!req.headers.accept?.includes('text/html')) return next();
    res.sendFile(indexFile, { headers: { ...SECURITY_HEADERS, 'Cache-Control': 'no-cache', 'Content-Security-Policy': PORTAL_CSP, 'X-Frame-Options': 'DENY' } }, (err) => {
      if (err && !res.headersSent) res.status(503).type('text/plain').send('the portal is not built: run `npm run build` (npm start does it)\n');
    });
  };
}
