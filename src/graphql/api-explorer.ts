import type { ApolloServerPlugin } from '@apollo/server';
import { Controller, Get, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CONFIG, type Config } from '../config/config.js';

/**
 * The API explorer at GET /graphql (outside production): GraphiQL, served with React from this
 * broker's own npm packages, so it works on a machine without internet (the CDN page that
 * @nestjs/apollo ships stays on "Loading..." there). GraphiQL 4's browser bundle expects React 18
 * as globals, which only React 18 publishes.
 */
const require = createRequire(import.meta.url);

/** The packages' files the page loads, by the name it asks for them (`package/path`). */
const PACKAGE_FILES: Record<string, string> = {
  'react.production.min.js': 'react/umd/react.production.min.js',
  'react-dom.production.min.js': 'react-dom/umd/react-dom.production.min.js',
  'graphiql.min.js': 'graphiql/graphiql.min.js',
  'graphiql.min.css': 'graphiql/graphiql.min.css',
};

/** Where a package's file is: found through its package.json, which every package exports. */
function packageFile(spec: string): string {
  const [name, ...rest] = spec.split('/');
  return join(dirname(require.resolve(`${name}/package.json`)), ...rest);
}

/** Starts GraphiQL against the page's own address, with a place for the bearer token in the Headers tab. */
const EXPLORER_SCRIPT = `
const fetcher = GraphiQL.createFetcher({ url: window.location.pathname });
ReactDOM.createRoot(document.getElementById('explorer')).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultHeaders: JSON.stringify({ Authorization: 'Bearer <paste your token here>' }, null, 2),
    defaultEditorToolsVisibility: 'headers',
    shouldPersistHeaders: false,
    defaultQuery: '# Your token goes in the Headers tab below; run with Ctrl-Enter\\n{\\n  me {\\n    name\\n    kind\\n  }\\n}\\n',
  }),
);
`;

const STYLE = 'html, body, #explorer { height: 100%; margin: 0; }';

/** Scripts and styles from this origin only: the page runs no inline script. GraphiQL sets inline styles. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'";

/** The page; asset paths are relative, so that it also works behind a proxy that adds a path prefix. */
export const EXPLORER_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
    <title>Skypool API explorer</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="explorer/graphiql.min.css">
    <link rel="stylesheet" href="explorer/explorer.css">
  </head>
  <body>
    <div id="explorer">Loading the API explorer...</div>
    <script src="explorer/react.production.min.js"></script>
    <script src="explorer/react-dom.production.min.js"></script>
    <script src="explorer/graphiql.min.js"></script>
    <script src="explorer/explorer.js"></script>
  </body>
</html>
`;

/** Apollo's landing page for a browser's GET /graphql: the explorer. */
export function apiExplorerPlugin(): ApolloServerPlugin {
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html: EXPLORER_HTML };
        },
      };
    },
  };
}

/** The explorer's files; like the explorer itself, none in production. */
@Controller('explorer')
export class ApiExplorerController {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  @Get(':file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (this.config.NODE_ENV === 'production') throw new NotFoundException();
    if (file === 'explorer.js') return void res.type('text/javascript').send(EXPLORER_SCRIPT);
    if (file === 'explorer.css') return void res.type('text/css').send(STYLE);
    if (!Object.hasOwn(PACKAGE_FILES, file)) throw new NotFoundException();
    // the package versions are pinned, so a browser may keep these for a day
    res.sendFile(packageFile(PACKAGE_FILES[file]!), { maxAge: '1d', headers: { 'X-Content-Type-Options': 'nosniff' } });
  }
}
