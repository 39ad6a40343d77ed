import { describe, expect, it } from 'vitest';
import { phasesCsv } from './phases-csv.ts';
import { collect, memorySource, trimmedFrameMap, videoAsset } from '../testing.ts';

describe('phases CSV', () => {
  it('gives inclusive source frames and seconds on the source timeline', async () => {
    const source = memorySource({
      schema: {
        geometry: 'phases',
        classes: [{ key: 'x', name: 'X' }],
        phases: [
          { key: 'prep', name: 'Preparation, setup' },
          { key: 'clip', name: 'Clipping' },
        ],
      },
      frames: { v1: trimmedFrameMap(100, 25, 250) },
      tasks: [
        {
          id: 't1',
          asset: videoAsset('v1', 100),
          consensus: {
            segments: [
              { phase: 'clip', start: 40, end: 100 },
              { phase: 'prep', start: 0, end: 40 },
            ],
          },
        },
      ],
    });
    const text = (await collect(phasesCsv, source)).toString('utf8');
    expect(text).toBe(
      'asset,phase,phase_name,start_frame,end_frame,start_seconds,end_seconds\n' + 'v1,prep,"Preparation, setup",250,289,10,11.6\n' + 'v1,clip,Clipping,290,349,11.6,14\n',
    );
  });
});
