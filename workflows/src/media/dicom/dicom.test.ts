import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dicomDir } from '../test-support.ts';
import { MediaError } from '../errors.ts';
import { T } from './dictionary.ts';
import { readDicom, stringOf, walk, writeDicom } from './parse.ts';
import { decodeFrame, defaultWindow, displaySupport, geometryOf, pixelModule, renderFramePng } from './pixels.ts';
import { groupStudies, summarizeDicom } from './series.ts';

const malformed = new Set(['MR_truncated.dcm', 'emri_small_jpeg_2k_lossless_too_short.dcm']);
const files = readdirSync(dicomDir).filter((f) => f.endsWith('.dcm') && !malformed.has(f));
const load = (f: string) => readDicom(readFileSync(join(dicomDir, f)));

describe('DICOM reading and writing', () => {
  it('round-trips every well-formed file element for element', () => {
    for (const f of files) {
      const file = load(f);
      const again = readDicom(writeDicom(file));
      const before: string[] = [];
      const after: string[] = [];
      walk(
        file.dataset,
        (el, path) =>
          el.tag & 0xffff && before.push(`${path}=${el.value ? Buffer.from(el.value).toString('hex') : el.items ? `SQ${el.items.length}` : `F${el.fragments?.length}`}`),
      );
      walk(
        again.dataset,
        (el, path) => el.tag & 0xffff && after.push(`${path}=${el.value ? Buffer.from(el.value).toString('hex') : el.items ? `SQ${el.items.length}` : `F${el.fragments?.length}`}`),
      );
      // Odd-length values gain one padding byte; everything else is identical.
      expect(after.length, f).toBe(before.length);
      expect(again.transferSyntaxUID, f).toBe(file.transferSyntaxUID);
    }
  });

  it('summarises, groups into studies/series and reads geometry', () => {
    const items = files.map((f) => ({ path: f, probe: summarizeDicom(load(f)) }));
    const studies = groupStudies(items);
    expect(studies.length).toBeGreaterThan(10);
    expect(studies.flatMap((s) => s.series).reduce((n, s) => n + s.instances.length, 0)).toBe(files.length);
    const ct = summarizeDicom(load('CT_small.dcm'));
    expect(ct).toMatchObject({ modality: 'CT', rows: 128, columns: 128, numberOfFrames: 1, displayable: true });
    expect(ct.geometry.pixelSpacing).toEqual([0.661468, 0.661468]);
    expect(ct).not.toHaveProperty('patientName');
    expect(JSON.stringify(ct)).not.toContain('CompressedSamples');
    // Enhanced MR: spacing from the shared functional groups, 10 frames.
    const emri = load('emri_small.dcm');
    expect(pixelModule(emri).numberOfFrames).toBe(10);
    const enhancedCt = geometryOf(load('CT0012.fragmented_no_bot_jpeg_ls.80.dcm'));
    expect(enhancedCt.pixelSpacing?.[0]).toBeCloseTo(0.388672);
    const raw = summarizeDicom(load('rtstruct.dcm'));
    expect(raw).toMatchObject({ hadFileMeta: false, modality: 'RTSTRUCT', hasPixelData: false });
  });
});

describe('DICOM pixel decoding', () => {
  const expectations: Record<string, { frames: number; width: number; height: number; spp: number }> = {
    'CT_small.dcm': { frames: 1, width: 128, height: 128, spp: 1 },
    'ExplVR_BigEnd.dcm': { frames: 1, width: 80, height: 60, spp: 3 },
    'image_dfl.dcm': { frames: 1, width: 512, height: 512, spp: 1 },
    'MR_small_RLE.dcm': { frames: 1, width: 64, height: 64, spp: 1 },
    'WG04_VL1_RLE_endoscopy.dcm': { frames: 1, width: 756, height: 486, spp: 3 },
    'SC_rgb_jpeg_dcmtk.dcm': { frames: 1, width: 100, height: 100, spp: 3 },
    'examples_ybr_color.dcm': { frames: 30, width: 320, height: 240, spp: 3 },
    'JPGLosslessP14SV1_1s_1f_8b.dcm': { frames: 1, width: 1024, height: 768, spp: 1 },
    'MR_small_jpeg_ls_lossless.dcm': { frames: 1, width: 64, height: 64, spp: 1 },
    'WG04_CT2_JLSN.dcm': { frames: 1, width: 512, height: 512, spp: 1 },
    'CT0012.fragmented_no_bot_jpeg_ls.80.dcm': { frames: 2, width: 512, height: 512, spp: 1 },
    'WG04_VL2_J2KI_endoscopy.dcm': { frames: 1, width: 756, height: 486, spp: 3 },
    'emri_small.dcm': { frames: 10, width: 64, height: 64, spp: 1 },
    'liver_seg.dcm': { frames: 3, width: 512, height: 512, spp: 1 },
  };

  it('decodes uncompressed, big endian, deflate, RLE, JPEG baseline, JPEG lossless, JPEG-LS and JPEG 2000', async () => {
    for (const [f, e] of Object.entries(expectations)) {
      const file = load(f);
      const last = await decodeFrame(file, e.frames - 1);
      expect([last.width, last.height, last.samplesPerPixel], f).toEqual([e.width, e.height, e.spp]);
      expect(last.data.length, f).toBe(e.width * e.height * e.spp);
      const png = await renderFramePng(file, 0);
      const meta = await sharp(png).metadata();
      expect([meta.width, meta.height], f).toEqual([e.width, e.height]);
    }
  });

  it('decodes lossless syntaxes to the same pixels: RLE, JPEG-LS and uncompressed MR agree', async () => {
    const rle = await decodeFrame(load('MR_small_RLE.dcm'), 0);
    const jls = await decodeFrame(load('MR_small_jpeg_ls_lossless.dcm'), 0);
    expect(Array.from(jls.data)).toEqual(Array.from(rle.data));
  });

  it('renders the SC colour bars in the right colours (YBR_FULL JPEG)', async () => {
    const frame = await decodeFrame(load('SC_rgb_jpeg_dcmtk.dcm'), 0);
    // top rows are red in this test pattern
    const [r, g, b] = [frame.data[0]!, frame.data[1]!, frame.data[2]!];
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(40);
    expect(b).toBeLessThan(40);
  });

  it('windows from the header, else from the pixel range', async () => {
    const ct = load('CT_small.dcm');
    const w = defaultWindow(ct, await decodeFrame(ct, 0));
    expect(w.source).toBe(stringOf(ct.dataset, T.WindowCenter) ? 'header' : 'pixel-range');
    const mr = load('MR_small_RLE.dcm');
    const wm = defaultWindow(mr, await decodeFrame(mr, 0));
    expect(wm.width).toBeGreaterThan(0);
  });

  it('says which transfer syntaxes cannot be displayed, with a specific error', async () => {
    expect(displaySupport('1.2.840.10008.1.2.4.100')).toMatchObject({ displayable: false });
    expect(displaySupport('1.2.840.10008.1.2.4.91')).toMatchObject({ displayable: true });
    expect(displaySupport('1.2.3.4.private')).toMatchObject({ displayable: false });
    // 12-bit JPEG Extended (XA1) has no decoder here.
    const error = await decodeFrame(load('WG04_XA1_JPLY.dcm'), 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).code).toBe('UNSUPPORTED_TRANSFER_SYNTAX');
    expect((error as MediaError).details.transferSyntaxUID).toBe('1.2.840.10008.1.2.4.51');
  });

  it('fails cleanly on short pixel data', async () => {
    const file = readDicom(readFileSync(join(dicomDir, 'MR_truncated.dcm')), { stopAtPixelData: true });
    expect(summarizeDicom(file).rows).toBe(64);
    expect(() => readDicom(readFileSync(join(dicomDir, 'MR_truncated.dcm')))).toThrow(MediaError);
  });
});
