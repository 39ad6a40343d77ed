// Reads worth an audit trail (others' labels, the ledger, presigned media URLs) are collected while a GraphQL
// operation resolves and written in one INSERT when it is done, before the answer leaves: one statement per
// request however many fields were read, and no lock (the audit log's sealer chains them later).
// Events name who read what (ids and counts), never the label content and never PHI.
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { recordAudits, type AuditEventInput } from '@suture/workflows/services/audit-log';
import type { Context } from './context.ts';

/** Notes a read by the caller; the same read of the same entity is written once per request. */
export function auditRead(ctx: Context, event: Omit<AuditEventInput, 'actorId'>): void {
  if (!ctx.user) return;
  ctx.auditReads ??= [];
  if (ctx.auditReads.some((e) => e.action === event.action && e.entityType === event.entityType && e.entityId === event.entityId)) return;
  ctx.auditReads.push({ ...event, actorId: ctx.user.id });
}

/** Writes the reads an operation noted once it has executed; a failed write fails the operation (no unrecorded reads). */
export function auditReadsPlugin(): Plugin<Context> {
  return {
    onExecute() {
      return {
        async onExecuteDone({ args, result, setResult }) {
          const ctx = args.contextValue as Context;
          const events = ctx.auditReads?.splice(0) ?? [];
          if (events.length === 0) return;
          try {
            await recordAudits(ctx.services.prisma, events);
          } catch (error) {
            ctx.services.log('error', 'audit of reads failed', { requestId: ctx.requestId, error: (error as Error).message });
            if (!(Symbol.asyncIterator in Object(result))) {
              setResult({ errors: [new GraphQLError('internal error: the read could not be audited', { extensions: { code: 'INTERNAL' } })] });
            }
          }
        },
      };
    },
  };
}
