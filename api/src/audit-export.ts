// GET /audit/export: the audit log (filtered as auditEvents is) streamed as JSON lines or CSV, a page of
// the database at a time, so an export of millions of events never sits in memory. Bearer token; ADMIN or
// QA_AUDITOR. Query: format=jsonl|csv, actorId, action, entityType, entityId, from, to (ISO date-times).
import type { Request, Response } from 'express';
import type { Services } from './context.ts';
import { DomainError } from './errors.ts';
import { auditRowCsv, auditRowJson, auditWhere, CSV_COLUMNS, exportAuditEvents, type AuditFilter } from './services/audit.ts';

function dateParam(value: unknown, name: string): Date | null {
  if (typeof value !== 'string' || value === '') return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new DomainError('INVALID_INPUT', `${name} '${value}' is not a date-time`);
  return d;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function auditExportHandler(services: Services) {
  return async (req: Request, res: Response): Promise<void> => {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : null;
    const user = token ? await services.sessions.resolve(token) : null;
    const fail = (status: number, code: string, message: string) => void res.status(status).json({ error: { code, message } });
    if (!user) return fail(401, 'UNAUTHENTICATED', 'log in first');
    const format = str(req.query.format) ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'csv') return fail(400, 'INVALID_INPUT', "format must be 'jsonl' or 'csv'");
    let filter: AuditFilter;
    try {
      filter = {
        actorId: str(req.query.actorId),
        action: str(req.query.action),
        entityType: str(req.query.entityType),
        entityId: str(req.query.entityId),
        from: dateParam(req.query.from, 'from'),
        to: dateParam(req.query.to, 'to'),
      };
      auditWhere(filter);
    } catch (error) {
      if (error instanceof DomainError) return fail(400, error.code, error.message);
      throw error;
    }
    const rows = exportAuditEvents(services, user, filter);
    let first: IteratorResult<Awaited<ReturnType<typeof rows.next>>['value']>;
    try {
      first = await rows.next();
    } catch (error) {
      if (error instanceof DomainError) return fail(error.code === 'FORBIDDEN' ? 403 : 400, error.code, error.message);
      throw error;
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    res.status(200);
    res.setHeader('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('content-disposition', `attachment; filename="suture-audit-${stamp}.${format === 'csv' ? 'csv' : 'jsonl'}"`);
    res.setHeader('cache-control', 'no-store');
    const line = (r: NonNullable<typeof first.value>) => (format === 'csv' ? auditRowCsv(r) : JSON.stringify(auditRowJson(r))) + '\n';
    const write = (chunk: string) => (res.write(chunk) ? Promise.resolve() : new Promise<void>((resolve) => res.once('drain', () => resolve())));
    try {
      if (format === 'csv') await write(CSV_COLUMNS.join(',') + '\n');
      for (let next = first; !next.done; next = await rows.next()) {
        if (res.destroyed) return;
        await write(line(next.value));
      }
      res.end();
    } catch (error) {
      services.log('error', 'audit export failed', { error: (error as Error).message });
      res.destroy(error as Error);
    }
  };
}
