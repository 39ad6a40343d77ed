import { describe, expect, it } from 'vitest';
import { auditRowCsv, auditWhere, type AuditRow } from './audit.ts';

describe('audit log filters and export rows', () => {
  it('turns a filter into a query; an action ending in . is a prefix', () => {
    const from = new Date('2026-12-01T00:00:00Z');
    expect(auditWhere({ action: 'user.', entityType: 'Task', from })).toEqual({ action: { startsWith: 'user.' }, entityType: 'Task', at: { gte: from } });
    expect(auditWhere({ action: 'user.login' })).toEqual({ action: 'user.login' });
    expect(() => auditWhere({ actorId: "x' OR 1=1" })).toThrow(/not a user id/);
  });

  it('writes CSV cells quoted, and defuses spreadsheet formulas', () => {
    const row: AuditRow = {
      seq: 12n,
      at: new Date('2026-12-04T10:00:00Z'),
      actorId: null,
      actorName: '=HYPERLINK("x")',
      action: 'user.login',
      entityType: 'User',
      entityId: 'u1',
      data: { note: 'a,b' },
      chainPosition: null,
    };
    expect(auditRowCsv(row)).toBe(`12,2026-12-04T10:00:00.000Z,,"'=HYPERLINK(""x"")",user.login,User,u1,,"{""note"":""a,b""}"`);
  });
});
