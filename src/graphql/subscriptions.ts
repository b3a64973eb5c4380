import type { GraphQLWsSubscriptionsConfig } from '@nestjs/graphql';
import { getOperationAST, getVariableValues, GraphQLError, parse, specifiedRules, validate, type ASTNode, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import type { IncomingMessage } from 'node:http';
import type { AuthService } from '../identity/auth.service.js';
import type { RequestContext } from '../identity/current-principal.decorator.js';
import type { Principal } from '../identity/principal.js';
import { withoutSuggestions as stripSuggestions } from './format-error.js';
import { inputProblem, inputRefusal } from './input-limits.js';
import { limitRules, type OperationLimits } from './limits.js';
import type { LoadersFactory } from './loaders.js';
import { scopeRefusal } from './operation-scope.js';

/** What graphql-ws keeps per socket: the upgrade request and, once the connection is accepted, who it is. */
interface SocketExtra {
  socket: { close(code: number, reason: string): void };
  request: IncomingMessage;
  principal?: Principal;
}

export interface SubscriptionSettings {
  auth: AuthService;
  loaders: LoadersFactory;
  /** The executable schema; built after this configuration, so asked for when needed. */
  schema: () => GraphQLSchema;
  limits: OperationLimits;
  maxTokens: number;
  /** Drop "Did you mean ...?" suggestions from validation and variable errors, as over HTTP. */
  hideSuggestions: boolean;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

const refusal = (message: string, code: string, nodes?: readonly ASTNode[]) => new GraphQLError(message, { nodes, extensions: { code } });

/** The bearer token of graphql-ws connectionParams, { Authorization: 'Bearer …' } (or lower case). */
function authorizationOf(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.Authorization ?? params?.authorization;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Subscriptions over graphql-ws at /graphql, held to the same rules as HTTP: a connection
 * authenticates once with a bearer token in its connectionParams (or its upgrade request's
 * Authorization header) and is closed with 4401 and UNAUTHENTICATED otherwise; each document
 * goes through the token limit, the depth, alias and cost limits and the token's operation
 * scope; errors are mapped by the same formatter. The socket serves subscriptions only: queries
 * and mutations go over HTTP, where the rate limit applies.
 */
export function graphqlWsOptions(settings: SubscriptionSettings): GraphQLWsSubscriptionsConfig {
  const rules = [...specifiedRules, ...limitRules(settings.limits)];
  const withoutSuggestions = (message: string) => (settings.hideSuggestions ? stripSuggestions(message) : message);
  return {
    onConnect: async (ctx) => {
      const extra = ctx.extra as SocketExtra;
      const authorization = authorizationOf(ctx.connectionParams) ?? extra.request.headers.authorization;
      const authentication = authorization
        ? await settings.auth.authenticate({ authorization })
        : { principal: null, problem: 'no credentials: send connectionParams { "Authorization": "Bearer <token>" }' };
      if (authentication.principal) {
        extra.principal = authentication.principal;
        return true;
      }
      // a close reason is at most 123 bytes
      extra.socket.close(CloseCode.Unauthorized, `UNAUTHENTICATED: ${authentication.problem}`.slice(0, 120));
      return false;
    },
    onSubscribe: (ctx, _id, payload) => {
      const principal = (ctx.extra as SocketExtra).principal ?? null;
      let document: DocumentNode;
      try {
        document = parse(payload.query, { maxTokens: settings.maxTokens });
      } catch (err) {
        return [refusal((err as Error).message, 'GRAPHQL_PARSE_FAILED')];
      }
      const schema = settings.schema();
      const invalid = validate(schema, document, rules);
      if (invalid.length > 0) return invalid.map((e) => refusal(withoutSuggestions(e.message), 'GRAPHQL_VALIDATION_FAILED', e.nodes));
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [refusal('the document must hold one operation, or operationName must name one', 'BAD_REQUEST')];
      if (operation.operation !== 'subscription') return [refusal('this socket serves subscriptions; send queries and mutations with POST /graphql', 'BAD_REQUEST')];
      const outOfScope = scopeRefusal(principal, operation, document);
      if (outOfScope) return [refusal(outOfScope.message, 'FORBIDDEN')];
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
      if (coerced.errors) return coerced.errors.map((e) => refusal(withoutSuggestions(e.message), 'BAD_USER_INPUT', e.nodes));
      const badInput = inputProblem(schema, document, operation, payload.variables ?? undefined);
      if (badInput) return [inputRefusal(badInput)];
      const contextValue: RequestContext = { principal, loaders: settings.loaders.create({ cache: false }) };
      return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
    },
    onNext: (_ctx, _id, _payload, _args, result) => {
      if (!result.errors?.length) return undefined;
      return { ...result, errors: result.errors.map((e) => settings.formatError(e.toJSON(), e)) };
    },
  };
}
