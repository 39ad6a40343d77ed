import { describe, expect, it } from 'vitest';
import { DEFAULT_MEDIA_POLICY, mediaPolicyProblems, parseMediaPolicy } from './media-policy.ts';

describe('campaign media policy', () => {
  it('accepts the documented shapes', () => {
    for (const policy of [
      { originals: 'DELETE' },
      { originals: 'RETAIN_ENCRYPTED', sse: 'aws:kms' },
      { originals: 'DELETE', sse: 'AES256', normalizeBrightness: true },
      { originals: 'RETAIN_ENCRYPTED', normalizeBrightness: { brightness: -0.2, contrast: 1.4 } },
      { originals: 'DELETE', normalizeBrightness: {} },
    ]) {
      expect(mediaPolicyProblems(policy)).toEqual([]);
      expect(parseMediaPolicy(policy)).toEqual(policy);
    }
    expect(parseMediaPolicy(null)).toEqual(DEFAULT_MEDIA_POLICY);
  });

  it('names what is wrong', () => {
    expect(mediaPolicyProblems({ originals: 'KEEP' })).toEqual(["originals: originals must be 'DELETE' or 'RETAIN_ENCRYPTED'"]);
    expect(mediaPolicyProblems({})).toEqual(["originals: originals must be 'DELETE' or 'RETAIN_ENCRYPTED'"]);
    expect(mediaPolicyProblems({ originals: 'DELETE', sse: 'none' })).toEqual(["sse: sse must be 'AES256' or 'aws:kms'"]);
    expect(mediaPolicyProblems({ originals: 'DELETE', normalizeBrightness: { brightness: 1.5 } })).toEqual(['normalizeBrightness.brightness: brightness must be between -1 and 1']);
    expect(mediaPolicyProblems({ originals: 'DELETE', normalizeBrightness: { contrast: -1 } })).toEqual(['normalizeBrightness.contrast: contrast must be between 0 and 3']);
    expect(mediaPolicyProblems({ originals: 'DELETE', normalizeBrightness: 'on' })).toEqual([
      'normalizeBrightness: normalizeBrightness must be true, false or { brightness: -1..1, contrast: 0..3 }',
    ]);
    expect(mediaPolicyProblems({ originals: 'DELETE', keep: 1 })).toEqual(['(root): Unrecognized key: "keep"']);
    expect(() => parseMediaPolicy({ originals: 'KEEP' })).toThrow(/media policy is invalid: originals/);
  });
});
