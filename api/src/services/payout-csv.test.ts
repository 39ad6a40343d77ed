import { describe, expect, it } from 'vitest';
import { centsToAmount, csvCell, payoutCsv } from './payout-csv.ts';

describe('payout CSV', () => {
  it('writes amounts with exactly two decimals', () => {
    expect(centsToAmount(0)).toBe('0.00');
    expect(centsToAmount(5)).toBe('0.05');
    expect(centsToAmount(1234)).toBe('12.34');
    expect(centsToAmount(100)).toBe('1.00');
    expect(centsToAmount(9_007_199_254_740_991)).toBe('90071992547409.91');
    expect(() => centsToAmount(1.5)).toThrow(/whole cents/);
  });

  it('defuses formulas and quotes what needs quoting', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tcmd')).toBe("'\tcmd");
    expect(csvCell('Smith, Jo')).toBe('"Smith, Jo"');
    expect(csvCell('a\nb')).toBe('"a\nb"');
    expect(csvCell('Jo "JJ" Smith')).toBe('"Jo ""JJ"" Smith"');
    expect(csvCell('plain name')).toBe('plain name');
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('writes a header and one CRLF-terminated row per line', () => {
    const csv = payoutCsv([
      { userId: 'u1', name: '=cmd|calc', email: 'a@x.test', entries: 3, amountCents: 1005, currency: 'USD' },
      { userId: 'u2', name: 'Lee, "Sam"', email: 'b@x.test', entries: 1, amountCents: 7, currency: 'USD' },
    ]);
    expect(csv).toBe(['user_id,name,email,entries,amount,currency', "u1,'=cmd|calc,a@x.test,3,10.05,USD", 'u2,"Lee, ""Sam""",b@x.test,1,0.07,USD', ''].join('\r\n'));
  });
});
