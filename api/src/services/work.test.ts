import { Prisma } from '@suture/db';
import { describe, expect, it } from 'vitest';
import { selectsColumnsOnly } from '../schema/work.ts';
import { ASSIGNMENT_COLUMNS, claimSql } from './work.ts';

describe('the claim statement', () => {
  it("returns every column of Prisma's Assignment, so a claim needs no second query", () => {
    expect(ASSIGNMENT_COLUMNS.map(([name]) => name).sort()).toEqual(Object.values(Prisma.AssignmentScalarFieldEnum).sort());
  });

  it('answers a lost race with a retry row instead of failing (a failed statement costs its pooled connection)', () => {
    const sql = claimSql('00000000-0000-4000-8000-000000000001', null).sql;
    expect(sql).toContain('ON CONFLICT DO NOTHING');
    expect(sql).toContain("SELECT 'retry'");
  });
});

describe('selectsColumnsOnly', () => {
  it("tells a selection of the model's own fields from one reaching into relations", () => {
    expect(selectsColumnsOnly({})).toBe(true);
    expect(selectsColumnsOnly({ include: {} })).toBe(true);
    expect(selectsColumnsOnly({ include: { task: true } })).toBe(false);
    expect(selectsColumnsOnly({ select: { id: true } })).toBe(false);
  });
});
