// Pothos builder: configuration only. Entity files add types, queries and mutations.
import SchemaBuilder from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import type PrismaTypes from '@suture/db/pothos-types';
import { getDatamodel } from '@suture/db/pothos-types';
import type { Role } from '@suture/db';
import type { AuthedContext, Context } from '../context.ts';
import { DomainError } from '../errors.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { authenticated: boolean; role: Role; anyRole: Role[] };
  AuthContexts: { authenticated: AuthedContext; role: AuthedContext; anyRole: AuthedContext };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    BigInt: { Input: bigint; Output: bigint };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}>({
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin],
  scopeAuth: {
    authScopes: (ctx) => ({
      authenticated: ctx.user !== null,
      role: (role) => ctx.user?.roles.includes(role) ?? false,
      anyRole: (roles) => roles.some((r) => ctx.user?.roles.includes(r)),
    }),
    unauthorizedError: (_parent, ctx) => (ctx.user ? new DomainError('FORBIDDEN', 'your role does not allow this') : new DomainError('UNAUTHENTICATED', 'log in first')),
  },
  errors: { defaultTypes: [DomainError], directResult: true },
  prisma: {
    client: (ctx) => ctx.services.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: 'error',
  },
  relay: {},
});

builder.scalarType('DateTime', {
  serialize: (d) => d.toISOString(),
  parseValue: (v) => {
    const d = new Date(String(v));
    if (Number.isNaN(d.getTime())) throw new DomainError('INVALID_INPUT', `'${String(v)}' is not a date-time`);
    return d;
  },
});
builder.scalarType('JSON', { serialize: (v) => v, parseValue: (v) => v });
builder.scalarType('BigInt', { serialize: (v) => v.toString(), parseValue: (v) => BigInt(String(v)) });

builder.objectType(DomainError, {
  name: 'DomainError',
  description: 'An expected failure with a machine-readable code and a message for people.',
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.exposeString('message'),
  }),
});

builder.queryType({});
builder.mutationType({});
