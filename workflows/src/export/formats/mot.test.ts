import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { mot } from './mot.ts';
import { collect, memorySource, trimmedFrameMap, videoAsset } from '../testing.ts';

describe('MOT 1.1', () => {
  it('writes every interpolated frame, 1-based source frames, nothing while outside', async () => {
    const source = memorySource({
      schema: { geometry: 'track', classes: [{ key: 'grasper', name: 'Grasper' }] },
      frames: { v1: trimmedFrameMap(20, 25, 100) },
      tasks: [
        {
          id: 't1',
          asset: videoAsset('v1', 20),
          consensus: {
            tracks: [
              {
                id: 7,
                label: 'grasper',
                keyframes: [
                  { frame: 0, box: [0, 0, 10, 10] },
                  { frame: 4, box: [8, 4, 10, 10] },
                  { frame: 5, box: [8, 4, 10, 10], outside: true },
                ],
              },
              { id: 9, label: 'grasper', keyframes: [{ frame: 18, box: [1, 1, 2, 2] }] },
            ],
          },
        },
      ],
    });
    const bytes = await collect(mot, source);
    expect((await collect(mot, source)).equals(bytes)).toBe(true);
    const files = unzipSync(new Uint8Array(bytes));
    const gt = strFromU8(files['v1/gt/gt.txt']!).trim().split('\n');
    expect(gt).toEqual([
      '101,1,0,0,10,10,1,-1,-1,-1',
      '102,1,2,1,10,10,1,-1,-1,-1',
      '103,1,4,2,10,10,1,-1,-1,-1',
      '104,1,6,3,10,10,1,-1,-1,-1',
      '105,1,8,4,10,10,1,-1,-1,-1',
      // track 9 holds its box to the end of the video (proxy frame 19 = source frame 119)
      '119,2,1,1,2,2,1,-1,-1,-1',
      '120,2,1,1,2,2,1,-1,-1,-1',
    ]);
    expect(strFromU8(files['v1/gt/labels.txt']!)).toBe('mot_id,track_id,label\n1,7,grasper\n2,9,grasper\n');
    expect(strFromU8(files['v1/seqinfo.ini']!)).toContain('frameRate=25\n');
  });
});
