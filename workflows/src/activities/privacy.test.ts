// The pure parts of the privacy gate's worker side: which frames the officer sees, the stored boxes, and
// blacking boxes out on DICOM files of every pixel layout without touching anything else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFrame, DicomTags as T, pixelModule, readDicom, stringOf, TS, type DecodedFrame } from '../media/index.ts';
import { dicomDir } from '../media/test-support.ts';
import { blackOutDicom, parseBoxes, sampledFrames } from './privacy.ts';

describe('sampled frames', () => {
  it('takes every frame of short assets, and the first, the last and evenly between of long ones', () => {
    expect(sampledFrames(0)).toEqual([]);
    expect(sampledFrames(1)).toEqual([0]);
    expect(sampledFrames(4)).toEqual([0, 1, 2, 3]);
    expect(sampledFrames(20)).toEqual([0, 4, 8, 11, 15, 19]);
    expect(sampledFrames(96, 4)).toEqual([0, 32, 63, 95]);
  });
});

describe('stored boxes', () => {
  it('reads what the API stores and refuses anything else', () => {
    expect(parseBoxes([{ id: 'a', x: 1, y: 2, width: 3, height: 4 }])).toEqual([{ id: 'a', x: 1, y: 2, width: 3, height: 4 }]);
    expect(() => parseBoxes({})).toThrow('not a list');
    expect(() => parseBoxes([{ id: 'a', x: 1, y: 2, width: 'wide', height: 4 }])).toThrow('malformed box');
  });
});

/** Every sample of a frame inside and outside a box. */
function split(frame: DecodedFrame, box: { x: number; y: number; width: number; height: number }): { inside: number[]; outside: number[] } {
  const inside: number[] = [];
  const outside: number[] = [];
  for (let y = 0; y < frame.height; y++)
    for (let x = 0; x < frame.width; x++)
      for (let s = 0; s < frame.samplesPerPixel; s++) {
        const v = frame.data[(y * frame.width + x) * frame.samplesPerPixel + s]!;
        (x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height ? inside : outside).push(v);
      }
  return { inside, outside };
}

describe('blacking out boxes on a DICOM', () => {
  const cases = [
    // 16-bit signed grey, native little endian: the box takes the frame's minimum.
    { file: 'CT_small.dcm', box: { x: 40, y: 40, width: 20, height: 10 } },
    // RLE colour, encapsulated: decoded, filled, stored uncompressed.
    { file: 'WG04_VL1_RLE_endoscopy.dcm', box: { x: 330, y: 200, width: 60, height: 40 } },
    // Big endian, native: the header stays big endian, the pixels too.
    { file: 'ExplVR_BigEnd.dcm', box: { x: 10, y: 10, width: 16, height: 8 } },
  ];
  for (const { file, box } of cases) {
    it(`fills the box on every frame of ${file} and changes nothing else`, async () => {
      const bytes = readFileSync(join(dicomDir, file));
      const before = readDicom(bytes);
      const out = readDicom(await blackOutDicom(bytes, [box]));
      expect(pixelModule(out).numberOfFrames).toBe(pixelModule(before).numberOfFrames);
      for (let i = 0; i < pixelModule(before).numberOfFrames; i++) {
        const was = await decodeFrame(before, i);
        const is = await decodeFrame(out, i);
        const a = split(was, box);
        const b = split(is, box);
        expect(new Set(a.inside).size).toBeGreaterThan(1);
        const black = was.samplesPerPixel === 3 ? 0 : Math.min(...was.data);
        expect(new Set(b.inside)).toEqual(new Set([black]));
        expect(b.outside).toEqual(a.outside);
      }
      // The header as de-identification left it: same UIDs, same patient, only the pixel description may change.
      for (const tag of [T.SOPInstanceUID, T.StudyInstanceUID, T.PatientID, T.PatientName]) expect(stringOf(out.dataset, tag)).toBe(stringOf(before.dataset, tag));
      expect(out.transferSyntaxUID).toBe(before.dataset.get(T.PixelData)?.fragments ? TS.ExplicitLE : before.transferSyntaxUID);
    });
  }

  it('refuses a file without pixel data, saying so', async () => {
    await expect(blackOutDicom(readFileSync(join(dicomDir, 'rtstruct.dcm')), [{ x: 0, y: 0, width: 2, height: 2 }])).rejects.toThrow('has no Pixel Data');
  });
});
