// The HTTP application: express 5 with GraphQL (graphql-yoga) at /graphql and a health check.
import express, { type Express } from 'express';
import { createYoga, maskError } from 'graphql-yoga';
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Context, Services } from './context.ts';
import { DomainError } from './errors.ts';
import { schema } from './schema/index.ts';
import { graphqlGuard } from './graphql-guard.ts';
import { auditReadsPlugin } from './audit-reads.ts';
import { auditExportHandler } from './audit-export.ts';
import { guidelineImageRoutes } from './guideline-images.ts';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

/** Largest GraphQL request body, in bytes. */
export const MAX_BODY_BYTES = 48 * 1024 * 1024;

/** The database's words for an id that is not a UUID (Prisma passes them on). */
const MALFORMED_ID = /invalid input syntax for type uuid/;

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
    plugins: [
      ...graphqlGuard({
        introspection: options.introspection ?? false,
        signedIn: async (request) => {
          const token = bearer(request);
          return token !== null && (await services.sessions.resolve(token)) !== null;
        },
      }),
      auditReadsPlugin(),
    ],
    context: async ({ request, req }) => {
      const token = bearer(request);
      const user = token ? await services.sessions.resolve(token) : null;
      return { services, user, token, requestId: request.headers.get('x-request-id') ?? randomUUID(), clientAddress: req?.socket?.remoteAddress ?? null, auditReads: [] };
    },
    maskedErrors: {
      maskError(error, message, isDev) {
        let original: unknown = error;
        while (original instanceof GraphQLError && original.originalError) original = original.originalError;
        if (original instanceof DomainError) return new GraphQLError(original.message, { extensions: { code: original.code } });
        // A request wrong at the protocol level (malformed JSON, a mutation over GET, a body too large, a variable
        // of the wrong type), a syntax or validation error, an operation over the limits: the caller's mistake,
        // said as it is with the HTTP status yoga gives it, and not a crash to log.
        if (error instanceof GraphQLError && (error.extensions.http || !error.originalError)) return error;
        if (original instanceof GraphQLError) return original;
        // An id that is no UUID reaches the database as such: the caller's mistake too.
        if (original instanceof Error && MALFORMED_ID.test(original.message)) {
          return new GraphQLError('malformed id: ids are UUIDs', { extensions: { code: 'INVALID_INPUT' } });
        }
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
  // Bodies are bounded before anything reads them: the largest label (a volume's runs) fits well inside.
  app.use(yoga.graphqlEndpoint, (req, res, next) => {
    if (req.method !== 'POST') return next();
    const length = Number(req.headers['content-length'] ?? NaN);
    if (!Number.isFinite(length)) {
      res.status(411).json({ errors: [{ message: 'send a Content-Length with GraphQL requests' }] });
      return;
    }
    if (length > MAX_BODY_BYTES) {
      res.status(413).json({ errors: [{ message: `the request body is ${length} bytes; at most ${MAX_BODY_BYTES} are accepted` }] });
      return;
    }
    next();
  });
  app.get('/audit/export', (req, res, next) => {
    auditExportHandler(services)(req, res).catch(next);
  });
  app.use(guidelineImageRoutes(services));
  app.use(yoga.graphqlEndpoint, yoga.requestListener);
  return app;
}
