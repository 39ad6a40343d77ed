import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dicomDir } from '../test-support.ts';
import { parseNiftiHeader } from '../nifti.ts';
import { readDicom } from './parse.ts';
import { decodeFrame, pixelModule, rescaleOf } from './pixels.ts';
import { dicomVolumeNifti } from './volume.ts';

describe('DICOM as a NIfTI volume for the viewer', () => {
  it('is columns × rows × frames of modality values, x fastest, with the pixel spacing', async () => {
    const file = readDicom(readFileSync(join(dicomDir, 'CT_small.dcm')));
    const pm = pixelModule(file);
    const bytes = await dicomVolumeNifti(file);
    const header = parseNiftiHeader(bytes);
    expect(header.dims).toEqual([pm.columns, pm.rows, pm.numberOfFrames]);
    expect(header.dataTypeName).toBe('float32');
    expect(header.voxOffset).toBe(352);
    expect(header.sformCode).toBe(2);
    expect(header.sform[0]![0]).toBeLessThan(0); // LPS → RAS
    const frame = await decodeFrame(file, 0);
    const { slope, intercept } = rescaleOf(file, 0);
    const voxels = new Float32Array(bytes.buffer, bytes.byteOffset + 352, pm.columns * pm.rows * pm.numberOfFrames);
    const at = (x: number, y: number) => voxels[x + pm.columns * y]!;
    for (const [x, y] of [
      [0, 0],
      [64, 40],
      [127, 127],
    ] as const)
      expect(at(x, y)).toBeCloseTo(frame.data[x + pm.columns * y]! * slope + intercept, 3);
  });
});
