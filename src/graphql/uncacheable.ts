import type { ApolloServerPlugin } from '@apollo/server';

/**
 * Marks every GraphQL answer `cache-control: no-store`, as Apollo's cache-control plugin does
 * when no type or field carries a cache hint, which none in this schema does. That plugin is off
 * (graphql-api.module.ts): to find hints it wraps the resolving of every field, some 8% of the
 * time of a page of requests. A schema that starts giving hints turns it back on instead.
 */
export function uncacheableAnswersPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (!response.http.headers.has('cache-control')) response.http.headers.set('cache-control', 'no-store');
        },
      };
    },
  };
}
