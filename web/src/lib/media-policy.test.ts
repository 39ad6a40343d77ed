import { describe, expect, it } from 'vitest';
import { asMediaPolicy, describeBrightness, describeOriginals, draftOf, policyOf, samePolicy } from './media-policy';

describe('media policy', () => {
  it('reads stored policies defensively', () => {
    expect(asMediaPolicy({ originals: 'DELETE' })).toEqual({ originals: 'DELETE' });
    expect(asMediaPolicy({ originals: 'RETAIN_ENCRYPTED', sse: 'aws:kms', normalizeBrightness: { brightness: 0.1, contrast: 1 } })).toEqual({
      originals: 'RETAIN_ENCRYPTED',
      sse: 'aws:kms',
      normalizeBrightness: { brightness: 0.1, contrast: 1 },
    });
    expect(asMediaPolicy(null)).toEqual({ originals: 'DELETE' });
  });

  it('round-trips through the form draft, leaving unset fields out', () => {
    for (const policy of [
      { originals: 'DELETE' as const },
      { originals: 'RETAIN_ENCRYPTED' as const, sse: 'AES256' as const, normalizeBrightness: true },
      { originals: 'DELETE' as const, normalizeBrightness: { brightness: -0.2, contrast: 1.5 } },
    ])
      expect(policyOf(draftOf(policy))).toEqual(policy);
    expect(policyOf({ ...draftOf({ originals: 'DELETE' }), brightness: 'custom', brightnessValue: 0.3, contrastValue: 2 })).toEqual({
      originals: 'DELETE',
      normalizeBrightness: { brightness: 0.3, contrast: 2 },
    });
  });

  it('compares and describes policies', () => {
    expect(samePolicy({ originals: 'DELETE', normalizeBrightness: false }, { originals: 'DELETE' })).toBe(true);
    expect(samePolicy({ originals: 'DELETE' }, { originals: 'RETAIN_ENCRYPTED' })).toBe(false);
    expect(describeOriginals({ originals: 'RETAIN_ENCRYPTED' })).toBe('kept, envelope-encrypted (AES-256-GCM)');
    expect(describeBrightness({ originals: 'DELETE', normalizeBrightness: true })).toBe('automatic (ffmpeg normalize)');
  });
});
