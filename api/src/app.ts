// The HTTP application: express 5 with GraphQL (graphql-yoga) at /graphql and a health check.
import express, { type Express } from 'express';
import { createYoga, maskError } from 'graphql-yoga';
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Context, Services } from './context.ts';
import { DomainError } from './errors.ts';
import { schema } from './schema/index.ts';
import { graphqlGuard } from './graphql-guard.ts';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

export function createApp(services: Services, options: { corsOrigins?: string[]; introspection?: boolean } = {}): Express {
  const bearer = (request: Request): string | null => {
    const header = request.headers.get('authorization') ?? '';
    return header.startsWith('Bearer ') ? header.slice(7).trim() : null;
  };
  const yoga = createYoga<{ req: express.Request }, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // GraphiQL from the API itself, its assets inlined (no CDN: hospital networks are often offline), and only
    // where introspection is enabled, since it cannot work without it.
    graphiql: options.introspection ? { title: 'Suture GraphQL' } : false,
    renderGraphiQL,
    cors: options.corsOrigins?.length ? { origin: options.corsOrigins, credentials: true } : false,
    plugins: graphqlGuard({
      introspection: options.introspection ?? false,
      signedIn: async (request) => {
        const token = bearer(request);
        return token !== null && (await services.sessions.resolve(token)) !== null;
      },
    }),
    context: async ({ request, req }) => {
      const token = bearer(request);
      const user = token ? await services.sessions.resolve(token) : null;
      return { services, user, token, requestId: request.headers.get('x-request-id') ?? randomUUID(), clientAddress: req?.socket?.remoteAddress ?? null };
    },
    maskedErrors: {
      maskError(error, message, isDev) {
        let original: unknown = error;
        while (original instanceof GraphQLError && original.originalError) original = original.originalError;
        if (original instanceof DomainError) return new GraphQLError(original.message, { extensions: { code: original.code } });
        // A GraphQL error of its own (syntax, validation, a refused variable, an operation over the limits): the
        // caller's mistake, said as it is with the status yoga gives it, and not a crash to log.
        if (original instanceof GraphQLError) return original;
        // Unexpected: log with a correlation id, tell the client only the id.
        const correlationId = randomUUID();
        services.log('error', 'unexpected error', { correlationId, name: (original as Error | undefined)?.name, stack: (original as Error | undefined)?.stack });
        const masked = maskError(error, message, isDev);
        return new GraphQLError(`internal error (correlation id ${correlationId})`, { extensions: { code: 'INTERNAL', correlationId }, nodes: (masked as GraphQLError).nodes });
      },
    },
    logging: false,
  });

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(yoga.graphqlEndpoint, yoga.requestListener);
  return app;
}
