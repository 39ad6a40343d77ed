// The pure parts of ingest's S3 layer: the key layout the API, the CLI and the worker share, and the
// multipart part plan for sizes far past 32 bits.
import { describe, expect, it } from 'vitest';
import { MediaError } from './errors.ts';
import { defaultPartSize, derivedKey, originalKey, partCount, partRanges, partSizeFor, quarantineKey, workKey } from './ingest.ts';

const GiB = 2 ** 30;

describe('key layout', () => {
  it('puts uploads in quarantine and everything else under its own prefix per campaign and asset', () => {
    expect(quarantineKey('c1', 'a-9')).toBe('quarantine/c1/a-9/original');
    expect(derivedKey('c1', 'a-9', 'proxy.mp4')).toBe('derived/c1/a-9/proxy.mp4');
    expect(originalKey('c1', 'a-9')).toBe('originals/c1/a-9/original.enc');
    expect(workKey('c1', 'a-9', 'state.json')).toBe('work/c1/a-9/state.json');
  });

  it('refuses ids and names that would leave their prefix', () => {
    expect(() => quarantineKey('../x', 'a')).toThrow(MediaError);
    expect(() => derivedKey('c', 'a/b', 'x')).toThrow(/assetId must be/);
    expect(() => derivedKey('c', 'a', '../../etc')).toThrow(/plain file names/);
    expect(() => derivedKey('c', 'a', 'privacy/../x')).toThrow(/plain file names/);
    expect(() => derivedKey('c', 'a', '/x')).toThrow(/plain file names/);
    expect(derivedKey('c', 'a', 'privacy/base/proxy.mp4')).toBe('derived/c/a/privacy/base/proxy.mp4');
  });
});

describe('multipart plan', () => {
  it('keeps 16 MiB parts up to 156 GiB, then grows them to stay within 10,000 parts', () => {
    expect(partSizeFor(100)).toBe(defaultPartSize);
    expect(partSizeFor(50 * GiB)).toBe(defaultPartSize);
    const huge = 3 * 2 ** 40;
    expect(partSizeFor(huge)).toBeGreaterThan(defaultPartSize);
    expect(partCount(huge, partSizeFor(huge))).toBeLessThanOrEqual(10_000);
  });

  it('covers a file above 4 GiB exactly, byte offsets past 32 bits included', () => {
    const size = 4 * GiB + 12_345;
    const parts = partRanges(size, partSizeFor(size));
    expect(parts).toHaveLength(257);
    expect(parts[0]).toEqual({ partNumber: 1, start: 0, end: defaultPartSize });
    expect(parts.at(-1)).toEqual({ partNumber: 257, start: 4 * GiB, end: size });
    for (let i = 1; i < parts.length; i++) expect(parts[i]!.start).toBe(parts[i - 1]!.end);
    expect(partRanges(0, defaultPartSize)).toEqual([{ partNumber: 1, start: 0, end: 0 }]);
  });

  it('refuses sizes that are not whole byte counts a double holds exactly', () => {
    expect(() => partSizeFor(2 ** 53)).toThrow(/whole number of bytes/);
    expect(() => partCount(1.5, defaultPartSize)).toThrow(/whole number of bytes/);
    expect(() => partRanges(-1, defaultPartSize)).toThrow(MediaError);
  });
});
