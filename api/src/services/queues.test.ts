import { describe, expect, it } from 'vitest';
import { claimSql } from './work.ts';
import { SKIP_REASONS, skipCategoryOf } from './queues.ts';

describe('skip reasons', () => {
  it('keeps the category of a listed reason (case and spaces aside) and calls anything else OTHER', () => {
    expect(skipCategoryOf('image unreadable')).toBe('IMAGE_UNREADABLE');
    expect(skipCategoryOf('  Outside my expertise ')).toBe('OUTSIDE_EXPERTISE');
    expect(skipCategoryOf(SKIP_REASONS.GUIDELINE_UNCLEAR)).toBe('GUIDELINE_UNCLEAR');
    expect(skipCategoryOf('image unreadable: the patient name is burned in')).toBe('OTHER');
  });
});

describe('the claim statement gates', () => {
  const sql = claimSql('00000000-0000-4000-8000-000000000001', null).sql;

  it('leaves out paused members, spent budgets and skipped tasks, and orders batches by priority then deadline', () => {
    expect(sql).toContain('m."pausedAt" IS NULL');
    expect(sql).toContain('c."budgetBlockedAt" IS NULL');
    expect(sql).toContain(`a.status = 'RELEASED' AND a."releaseReason" IS NOT NULL`);
    expect(sql).toContain('ORDER BY q.priority DESC, q.deadline ASC NULLS LAST');
  });
});
