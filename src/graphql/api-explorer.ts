import type { ApolloServerPlugin } from '@apollo/server';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PORTAL_DIR } from '../portal-pages.js';

/**
 * The API explorer at GET /graphql (outside production): GraphiQL, built with the portal
 * (src/portal/web/explorer.html) so that it works on a machine without internet (the CDN page
 * that @nestjs/apollo ships stays on "Loading..." there). Its assets are the portal's, at /assets.
 */

/** Scripts and styles from this origin only: the page runs no inline script. GraphiQL sets inline styles. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'";

const NOT_BUILT = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Skypool API explorer</title></head><body><p>The API explorer is not built: run <code>npm run build</code> (npm start does it).</p></body></html>';

/** The built page with its policy; read at each visit, so a rebuild while the broker runs is served. */
function explorerPage(portalDir: string): string {
  try {
    const html = readFileSync(join(portalDir, 'explorer.html'), 'utf8');
    return html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`);
  } catch {
    return NOT_BUILT;
  }
}

/** Apollo's landing page for a browser's GET /graphql: the explorer. */
export function apiExplorerPlugin(portalDir = PORTAL_DIR): ApolloServerPlugin {
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html: async () => explorerPage(portalDir) };
        },
      };
    },
  };
}
