import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { deidentifyNifti, niftiSlicePng, probeNifti, readNifti } from './nifti.ts';
import { niftiDir, tempDir } from './test-support.ts';

const dir = tempDir();

describe('NIfTI', () => {
  it('reads dimensions, spacing, data type, qform/sform of NIfTI-1 and NIfTI-2, .nii and .nii.gz', async () => {
    const anat = await probeNifti(join(niftiDir, 'anatomical.nii'));
    expect(anat).toMatchObject({ version: 1, littleEndian: false, dims: [33, 41, 25], dataTypeName: 'int16', qformCode: 2, sformCode: 2, compressed: false });
    expect(anat.spacing).toEqual([2, 2, 2]);
    const label = await probeNifti(join(niftiDir, 'anatomical_label.nii.gz'));
    expect(label).toMatchObject({ dims: [33, 41, 25], dataTypeName: 'uint16', qformCode: 1, sformCode: 0, compressed: true });
    const four = await probeNifti(join(niftiDir, 'example4d.nii.gz'));
    expect(four.dims).toEqual([128, 96, 24, 2]);
    expect(four.spacing[2]).toBeCloseTo(2.2);
    expect(four.extensionCodes).toEqual([6, 6]);
    const two = await probeNifti(join(niftiDir, 'example_nifti2.nii.gz'));
    expect(two).toMatchObject({ version: 2, dims: [32, 20, 12, 2], dataTypeName: 'int16' });
    const fn = await probeNifti(join(niftiDir, 'functional.nii'));
    expect(fn.dims).toEqual([17, 21, 3, 20]);
    const ext = await probeNifti(join(niftiDir, 'with_extension.nii.gz'));
    expect(ext).toMatchObject({ littleEndian: false, dataTypeName: 'uint8', extensionCodes: [0] });
    expect(ext.dims.slice(0, 3)).toEqual([161, 191, 151]);
    expect(JSON.stringify(anat)).not.toContain('spm');
  });

  it('renders slice previews', async () => {
    for (const f of ['anatomical.nii', 'example4d.nii.gz', 'example_nifti2.nii.gz', 'with_extension.nii.gz']) {
      const v = await readNifti(join(niftiDir, f));
      const png = await niftiSlicePng(v, { t: 0 });
      const meta = await sharp(png).metadata();
      expect([meta.width, meta.height], f).toEqual([v.header.dims[0], v.header.dims[1]]);
      const stats = await sharp(png).stats();
      expect(stats.channels[0]!.max, f).toBeGreaterThan(0);
    }
  });

  it('de-identifies: descrip, aux_file, intent_name and extensions are gone, voxels unchanged', async () => {
    for (const f of ['anatomical.nii', 'example4d.nii.gz', 'example_nifti2.nii.gz', 'with_extension.nii.gz']) {
      const out = join(dir, f);
      const report = await deidentifyNifti(join(niftiDir, f), out);
      const before = await readNifti(join(niftiDir, f));
      const after = await readNifti(out);
      expect(after.header).toMatchObject({ hasDescrip: false, hasAuxFile: false, hasIntentName: false, extensions: [], dims: before.header.dims });
      const size = after.bytes.length - after.header.voxOffset;
      expect(Buffer.compare(after.bytes.subarray(after.header.voxOffset), before.bytes.subarray(before.header.voxOffset, before.header.voxOffset + size))).toBe(0);
      expect(JSON.stringify(report)).not.toMatch(/spm|FSL|Mango/);
    }
    const r = await deidentifyNifti(join(niftiDir, 'example4d.nii.gz'), join(dir, 'x.nii.gz'));
    expect(r.changes.join(' ')).toContain('header extensions: 2 removed');
  });

  it('reads a label map that compresses 940:1: the bomb bounds refuse by declared size, not masks', async () => {
    // A 512 x 512 x 300 uint8 mask holding one small sphere, on functional.nii's header: 75 MiB from 84 kB.
    const header = Buffer.from(readFileSync(join(niftiDir, 'functional.nii')).subarray(0, 352));
    const le = header.readInt32LE(0) === 348;
    const w16 = (v: number, o: number): number => (le ? header.writeInt16LE(v, o) : header.writeInt16BE(v, o));
    [3, 512, 512, 300, 1].forEach((v, i) => w16(v, 40 + 2 * i));
    w16(2, 70); // uint8
    w16(8, 72);
    const [nx, ny, nz] = [512, 512, 300];
    const voxels = Buffer.alloc(nx * ny * nz);
    for (let z = 120; z < 180; z++)
      for (let y = 226; y < 286; y++) for (let x = 226; x < 286; x++) if ((x - 256) ** 2 + (y - 256) ** 2 + (z - 150) ** 2 < 900) voxels[(z * ny + y) * nx + x] = 1;
    const gz = gzipSync(Buffer.concat([header, voxels]));
    expect((352 + voxels.length) / gz.length).toBeGreaterThan(900);
    writeFileSync(join(dir, 'mask.nii.gz'), gz);
    const probe = await probeNifti(join(dir, 'mask.nii.gz'));
    expect(probe).toMatchObject({ dims: [512, 512, 300], dataTypeName: 'uint8', dataBytes: voxels.length });
    const volume = await readNifti(join(dir, 'mask.nii.gz'));
    expect(volume.bytes.subarray(352).equals(voxels)).toBe(true);
  });

  it('refuses a .nii.gz that holds more than its header declares, before inflating the rest', async () => {
    // functional.nii (43 kB declared) followed by 64 MiB of zeros.
    const bytes = Buffer.concat([readFileSync(join(niftiDir, 'functional.nii')), Buffer.alloc(64 * 2 ** 20)]);
    writeFileSync(join(dir, 'overlong.nii.gz'), gzipSync(bytes));
    for (const read of [probeNifti, readNifti]) {
      const error = await read(join(dir, 'overlong.nii.gz')).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DECOMPRESSION_BOMB', details: { declared: 43192 } });
      // It stopped within the allowance past the declared size, long before the 64 MiB.
      expect((error as { details: { inflatedAtLeast: number } }).details.inflatedAtLeast).toBeLessThan(43192 + 2 * 2 ** 20);
    }
  });
});
