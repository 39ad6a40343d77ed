import { describe, expect, it } from 'vitest';
import { ingestFraction, ingestRunning, ingestStepLabel, seconds, trimRange, videoFacts } from './ingest';

describe('ingest progress', () => {
  it('spreads the steps over 0..1', () => {
    expect(ingestFraction(null, null)).toBeNull();
    expect(ingestFraction('download', 0)).toBe(0);
    expect(ingestFraction('proxy', 0.5)).toBeCloseTo(4.5 / 6, 9);
    expect(ingestFraction('derivatives', 2)).toBe(1);
    expect(ingestFraction('done', null)).toBe(1);
    expect(ingestFraction('failed', null)).toBeNull();
  });

  it('labels steps and says when ingest is running', () => {
    expect(ingestStepLabel(null)).toBe('Not started');
    expect(ingestStepLabel('deidentify')).toBe('De-identifying');
    expect(ingestStepLabel('done')).toBe('Done');
    expect(ingestStepLabel('later-step')).toBe('later-step');
    expect([null, 'probe', 'done', 'failed'].map(ingestRunning)).toEqual([false, true, false, false]);
  });
});

describe('video facts', () => {
  it('reads proxy, sprite and trim from the metadata', () => {
    expect(
      videoFacts({
        probe: { duration: 3.5, width: 64, height: 48 },
        proxy: { fps: 20, frameCount: 40, width: 64, height: 48, duration: 2 },
        sprite: { count: 20, tileWidth: 160, interval: 0.1 },
        trim: { startSeconds: 1, endSeconds: 3, firstSourceFrame: 20, lastSourceFrame: 59 },
      }),
    ).toEqual({
      duration: 2,
      frameCount: 40,
      fps: 20,
      width: 64,
      height: 48,
      sprite: { count: 20, interval: 0.1 },
      trim: { startSeconds: 1, endSeconds: 3, firstSourceFrame: 20, lastSourceFrame: 59 },
    });
    expect(videoFacts({})).toEqual({ duration: null, frameCount: null, fps: null, width: null, height: null, sprite: null, trim: null });
  });

  it('formats seconds and trim ranges', () => {
    expect(seconds(1.5)).toBe('1.5 s');
    expect(seconds(75)).toBe('1:15');
    expect(seconds(null)).toBe('—');
    expect(trimRange(0.5, 2.5)).toBe('0.5–2.5 s');
    expect(trimRange(0.5, null)).toBe('from 0.5 s');
    expect(trimRange(null, 2)).toBe('until 2 s');
    expect(trimRange(null, null)).toBeNull();
  });
});
