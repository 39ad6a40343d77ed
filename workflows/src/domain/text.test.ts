import { describe, expect, it } from 'vitest';
import { displayName, freeText } from './text.ts';

describe('display names', () => {
  it('trims and normalises, and refuses names that could pass for something else', () => {
    expect(displayName().parse('  Cafe\u0301 ')).toBe('Café');
    for (const bad of ['Ann\u202Egnp.exe', 'Ad\u200Bmin', '\u2066Eve\u2069', 'tab\tname', 'B\uFEFFom', '']) expect(displayName().safeParse(bad).success).toBe(false);
    expect(displayName(5).safeParse('abcdef').success).toBe(false);
  });

  it('bounds free text and keeps newlines', () => {
    expect(freeText(20).parse('line one\nline two')).toBe('line one\nline two');
    expect(freeText(20).safeParse('x'.repeat(21)).success).toBe(false);
    expect(freeText(100).safeParse('right\u202Eto left').success).toBe(false);
  });
});
