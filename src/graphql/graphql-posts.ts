import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { ApolloDriver } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request, RequestHandler, Response } from 'express';
import { HttpContexts } from './http-context.js';

/**
 * POST /graphql the short way: from the JSON body parser straight to the broker's Apollo Server,
 * past the portal's pages, Nest's routes and the Express integration that @nestjs/apollo mounts
 * (together some two thirds of the time of a trivial query). Same server, same context, same
 * answer; only the ETag, which no client of a POST uses, is left out. Whatever else reaches the
 * GraphQL path (a GET, `/graphql/`, a body the parser did not take) goes the usual way.
 */
export function graphqlPosts(app: NestExpressApplication, path: string): RequestHandler {
  let graphql: Graphql | undefined;
  return (req, res, next) => {
    if (req.method !== 'POST' || req.path !== path || req.body === undefined) return next();
    // both exist once the application has started, before it listens
    graphql ??= { server: (app.get(GraphQLModule) as GraphQLModule<ApolloDriver>).graphQlAdapter.instance, contexts: app.get(HttpContexts) };
    answer(graphql, req, res).catch(next);
  };
}

interface Graphql {
  server: ApolloServer;
  contexts: HttpContexts;
}

/** As @as-integrations/express5 does it, with the context @nestjs/apollo would build (it adds `req`). */
async function answer({ server, contexts }: Graphql, req: Request, res: Response): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const query = req.url.indexOf('?');
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: 'POST', headers, search: query < 0 ? '' : req.url.slice(query), body: req.body },
    context: async () => Object.assign(await contexts.of(req), { req }),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
