// Limits on what one GraphQL operation may ask, so that no caller can make the API do unbounded work:
// GraphQL Armor (depth, aliases, tokens, directives, cost, no field suggestions), at most one login per
// operation (aliases would turn one request into many password guesses), and introspection only for
// signed-in callers where the deployment enables it.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Limits sized to the console's own operations with room to spare. */
export const GRAPHQL_LIMITS = { depth: 10, aliases: 10, tokens: 3000, directives: 10, cost: 5000 } as const;

const oneLogin =
  () =>
  (context: ValidationContext): ASTVisitor => {
    let logins = 0;
    return {
      Field(node) {
        if (node.name.value !== 'login') return;
        logins += 1;
        if (logins === 2) context.reportError(new GraphQLError('one login per request: send each login attempt as its own request', { nodes: [node] }));
      },
    };
  };

export function graphqlGuard(options: { introspection: boolean; signedIn: (request: Request) => Promise<boolean> }): Plugin[] {
  const armor = EnvelopArmorPlugin({
    maxDepth: { n: GRAPHQL_LIMITS.depth, ignoreIntrospection: true },
    maxAliases: { n: GRAPHQL_LIMITS.aliases },
    maxTokens: { n: GRAPHQL_LIMITS.tokens },
    maxDirectives: { n: GRAPHQL_LIMITS.directives },
    costLimit: { maxCost: GRAPHQL_LIMITS.cost },
    blockFieldSuggestion: { enabled: true },
  }) as Plugin;
  const rules: Plugin = {
    onValidate({ addValidationRule }) {
      addValidationRule(oneLogin());
    },
    // Before parsing, where the request is at hand: introspection needs the deployment's consent and a session.
    async onParams({ params, request, setResult }) {
      // PostgreSQL text cannot hold NUL: refuse it here, said plainly, rather than as a database failure later.
      if ((params.query ?? '').includes('\u0000') || JSON.stringify(params.variables ?? {}).includes('\\u0000')) {
        setResult({ errors: [new GraphQLError('text may not contain NUL (\\u0000) characters', { extensions: { code: 'INVALID_INPUT', http: { status: 400 } } })] });
        return;
      }
      if (!INTROSPECTION.test(params.query ?? '')) return;
      if (options.introspection && (await options.signedIn(request))) return;
      setResult({ errors: [new GraphQLError('introspection is disabled here (sign in on a deployment that sets GRAPHQL_INTROSPECTION=on)')] });
    },
  };
  return [armor, rules];
}

const INTROSPECTION = /\b__(schema|type)\b/;
