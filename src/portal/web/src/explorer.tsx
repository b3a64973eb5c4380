// The API explorer served at GET /graphql outside production: GraphiQL, bundled with the portal
// so that it needs nothing from the internet.
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { createRoot } from 'react-dom/client';
import './explorer.css';

const PLACEHOLDER = 'Bearer <paste your token here>';
const sendToBroker = createGraphiQLFetcher({ url: '/graphql' });
// Until a token is pasted, the placeholder header is left out, so a portal session is used.
const fetcher: typeof sendToBroker = (params, options) => {
  const { Authorization, ...headers } = options?.headers ?? {};
  return sendToBroker(params, { ...options, headers: Authorization === undefined || Authorization === PLACEHOLDER ? headers : { ...headers, Authorization } });
};
const defaultQuery = '# Signed in to the portal, this runs as you; else put a token in the Headers tab below. Run with Ctrl-Enter\n{\n  me {\n    name\n    kind\n  }\n}\n';

createRoot(document.getElementById('explorer')!).render(
  <GraphiQL
    fetcher={fetcher}
    defaultHeaders={JSON.stringify({ Authorization: PLACEHOLDER }, null, 2)}
    defaultEditorToolsVisibility="headers"
    shouldPersistHeaders={false}
    defaultQuery={defaultQuery}
  />,
);
