import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { dicomDir, tempDir } from '../test-support.ts';
import { MediaError } from '../errors.ts';
import { deidentifyDicom } from './deid.ts';
import { T, tagOf } from './dictionary.ts';
import { type DicomDataset, readDicom, setString, setUint16, stringOf, TS, walk, writeDicom } from './parse.ts';
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

/** Runs a tool and returns what it printed (dicom3tools print their listings on stderr). */
function run(command: string, args: string[], cwd?: string, stream: 'stdout' | 'stderr' = 'stdout'): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r[stream];
}

/** Element values of a data set as comparable strings, sequences included. */
function valuesOf(ds: DicomDataset): string[] {
  const out: string[] = [];
  walk(ds, (el, path) => out.push(`${path}=${el.value ? Buffer.from(el.value).toString('hex') : el.items ? `SQ${el.items.length}` : `F${el.fragments?.length}`}`));
  return out;
}

describe('DICOMDIR', () => {
  const RecordSequence = tagOf(0x0004, 0x1220);
  const offsetTags = [tagOf(0x0004, 0x1200), tagOf(0x0004, 0x1202), tagOf(0x0004, 0x1400), tagOf(0x0004, 0x1420)];
  const dir = tempDir();
  beforeAll(() => {
    // A real DICOMDIR from dcmtk over six of the shared files (one patient, study, series and image record each).
    mkdirSync(join(dir, 'IMAGES'));
    ['CT_small', 'MR_small_RLE', 'emri_small', 'liver_seg', 'examples_overlay', 'JPGLosslessP14SV1_1s_1f_8b'].forEach((f, i) =>
      copyFileSync(join(dicomDir, `${f}.dcm`), join(dir, 'IMAGES', `IMG${i + 1}`)),
    );
    run('dcmmkdir', ['--recurse', '--invent', '--no-xfer-check', 'IMAGES'], dir);
  });

  it('recomputes record offsets on write, so the tree still resolves after values change length', () => {
    const original = readFileSync(join(dir, 'DICOMDIR'));
    const file = readDicom(original);
    const records = file.dataset.get(RecordSequence)!.items!;
    expect(records.length).toBe(24);
    // Values before the last records change length: every later record moves.
    const patient = records.find((r) => stringOf(r, tagOf(0x0004, 0x1430)) === 'PATIENT')!;
    setString(patient, T.PatientName, 'PN', 'ANONYMISED^PATIENT^WITH^LONGER^NAMES');
    const study = records.find((r) => stringOf(r, tagOf(0x0004, 0x1430)) === 'STUDY')!;
    setString(study, T.StudyDescription, 'LO', '');
    const out = writeDicom(file);
    writeFileSync(join(dir, 'DICOMDIR.out'), out);

    // Every offset points at the start of an item (FFFE,E000) in the bytes as written.
    const again = readDicom(out);
    const view = Buffer.from(out);
    const offsets: number[] = [];
    const collect = (ds: DicomDataset): void => {
      for (const tag of offsetTags) {
        const el = ds.get(tag);
        if (el?.value) offsets.push(Buffer.from(el.value).readUInt32LE(0));
      }
    };
    collect(again.dataset);
    again.dataset.get(RecordSequence)!.items!.forEach(collect);
    const nonZero = offsets.filter((o) => o !== 0);
    expect(nonZero.length).toBeGreaterThan(20);
    for (const o of nonZero) expect(view.readUInt32LE(o).toString(16), `offset ${o}`).toBe('e000fffe');
    expect(valuesOf(again.dataset).filter((v) => !/\(0004,1(200|202|400|420)\)=/.test(v))).toEqual(valuesOf(file.dataset).filter((v) => !/\(0004,1(200|202|400|420)\)=/.test(v)));

    // dicom3tools walks the tree by the offsets: the same records in the same places, with the new name.
    const before = run('dcdirdmp', [join(dir, 'DICOMDIR')], dir, 'stderr');
    const after = run('dcdirdmp', [join(dir, 'DICOMDIR.out')], dir, 'stderr');
    const patientName = stringOf(readDicom(original).dataset.get(RecordSequence)!.items![records.indexOf(patient)]!, T.PatientName)!;
    expect(after).toBe(before.replace(`PATIENT ${patientName} `, 'PATIENT ANONYMISED^PATIENT^WITH^LONGER^NAMES '));
    expect(after.match(/-> IMAGES\\IMG\d/g)?.length).toBe(6);
  });

  it('de-identifies a DICOMDIR into one whose tree still resolves', async () => {
    const { bytes } = await deidentifyDicom(readFileSync(join(dir, 'DICOMDIR')), { uidKey: 'dicomdir-test', burnedInText: 'never' });
    writeFileSync(join(dir, 'DICOMDIR.deid'), bytes);
    const listing = run('dcdirdmp', [join(dir, 'DICOMDIR.deid')], dir, 'stderr');
    expect(listing.match(/^PATIENT/gm)?.length).toBe(6);
    expect(listing.match(/-> IMAGES\\IMG\d/g)?.length).toBe(6);
    expect(listing).not.toMatch(/CompressedSamples|Sssssss|Citizen/);
  });

  it('refuses to write a directory whose record offsets point nowhere, instead of writing a broken one', () => {
    const file = readDicom(readFileSync(join(dir, 'DICOMDIR')));
    const records = file.dataset.get(RecordSequence)!.items!;
    // Dropping a record that others point at leaves a dangling offset.
    records.splice(1, 1);
    const error = (() => {
      try {
        writeDicom(file);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).code).toBe('INVALID_SEQUENCE');
    expect((error as MediaError).message).toMatch(/DICOMDIR/);
  });
});

describe('valid files that were refused', () => {
  const dir = tempDir();

  it('reads Deflated Image Frame Compression (1.2.840.10008.1.2.8.1) as a plain data set and inflates its frames', async () => {
    // CT_small with its frame deflated on its own (PS3.5 8.2.16): the data set itself is Explicit VR LE.
    const ct = readDicom(readFileSync(join(dicomDir, 'CT_small.dcm')));
    const native = ct.dataset.get(T.PixelData)!.value!;
    ct.dataset.set(T.PixelData, { tag: T.PixelData, vr: 'OB', fragments: [new Uint8Array(0), new Uint8Array(deflateRawSync(native))] });
    const bytes = writeDicom(ct, { transferSyntaxUID: '1.2.840.10008.1.2.8.1' });
    const file = readDicom(bytes);
    expect(file.deflated).toBe(false);
    expect(file.transferSyntaxUID).toBe('1.2.840.10008.1.2.8.1');
    expect(stringOf(file.dataset, T.Modality)).toBe('CT');
    const frame = await decodeFrame(file, 0);
    const reference = await decodeFrame(readDicom(readFileSync(join(dicomDir, 'CT_small.dcm'))), 0);
    expect(Array.from(frame.data)).toEqual(Array.from(reference.data));
  });

  it('inflates every deflated data set syntax: Deflated Explicit VR LE and JPIP Referenced Deflate', () => {
    // dcmtk deflates CT_small (1.2.840.10008.1.2.1.99); the same data set under JPIP Referenced Deflate (4.95).
    run('dcmconv', ['+td', join(dicomDir, 'CT_small.dcm'), join(dir, 'ct_dfl.dcm')]);
    const reference = valuesOf(readDicom(readFileSync(join(dicomDir, 'CT_small.dcm'))).dataset);
    const dfl = readDicom(readFileSync(join(dir, 'ct_dfl.dcm')));
    expect(dfl.transferSyntaxUID).toBe(TS.DeflatedLE);
    expect(valuesOf(dfl.dataset)).toEqual(reference);
    // Same UID length, so the File Meta keeps its size.
    const jpip = Buffer.from(readFileSync(join(dir, 'ct_dfl.dcm')));
    jpip.write('1.2.840.10008.1.2.4.95', jpip.indexOf('1.2.840.10008.1.2.1.99'), 'latin1');
    writeFileSync(join(dir, 'ct_jpip_dfl.dcm'), jpip);
    expect(run('dcmdump', ['-q', join(dir, 'ct_jpip_dfl.dcm')])).toContain('JPIPReferencedDeflate');
    const file = readDicom(jpip);
    expect(file.deflated).toBe(true);
    expect(valuesOf(file.dataset)).toEqual(reference);
    // And written back deflated, as its transfer syntax says.
    const rewritten = writeDicom(file);
    expect(rewritten.length).toBeLessThan(jpip.length + 1024);
    expect(valuesOf(readDicom(rewritten).dataset)).toEqual(valuesOf(file.dataset));
  });

  it('decodes native YBR_FULL_422 (two bytes per pixel) in the right colours, as dcmtk does', async () => {
    // The colour bars of SC_rgb_jpeg_dcmtk.dcm, converted to YCbCr and subsampled 4:2:2 into native Y1 Y2 Cb Cr.
    const source = readDicom(readFileSync(join(dicomDir, 'SC_rgb_jpeg_dcmtk.dcm')));
    const rgb = await decodeFrame(source, 0);
    const { width, height } = rgb;
    const ybr = new Uint8Array(width * height * 2);
    const clamp = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));
    for (let p = 0; p < width * height; p += 2) {
      const [y1, cb1, cr1] = toYbr(rgb.data[p * 3]!, rgb.data[p * 3 + 1]!, rgb.data[p * 3 + 2]!);
      const [y2, cb2, cr2] = toYbr(rgb.data[p * 3 + 3]!, rgb.data[p * 3 + 4]!, rgb.data[p * 3 + 5]!);
      ybr.set([clamp(y1), clamp(y2), clamp((cb1 + cb2) / 2), clamp((cr1 + cr2) / 2)], p * 2);
    }
    const ds = source.dataset;
    setString(ds, T.PhotometricInterpretation, 'CS', 'YBR_FULL_422');
    setUint16(ds, T.PlanarConfiguration, 0);
    ds.set(T.PixelData, { tag: T.PixelData, vr: 'OB', value: ybr });
    writeFileSync(join(dir, 'ybr422.dcm'), writeDicom(source, { transferSyntaxUID: TS.ExplicitLE }));

    const file = readDicom(readFileSync(join(dir, 'ybr422.dcm')));
    const frame = await decodeFrame(file, 0);
    expect([frame.width, frame.height, frame.samplesPerPixel, frame.data.length]).toEqual([width, height, 3, width * height * 3]);
    const png = await sharp(await renderFramePng(file, 0))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(png.info.channels).toBe(3);
    // The top rows are red.
    const [r, g, b] = png.data;
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(40);
    expect(b).toBeLessThan(40);
    // dcmtk renders the same file to the same colours (rounding aside).
    run('dcm2pnm', ['--write-png', join(dir, 'ybr422.dcm'), join(dir, 'ybr422.png')]);
    const dcmtk = await sharp(join(dir, 'ybr422.png')).removeAlpha().raw().toBuffer();
    expect(dcmtk.length).toBe(png.data.length);
    let worst = 0;
    for (let i = 0; i < dcmtk.length; i++) worst = Math.max(worst, Math.abs(dcmtk[i]! - png.data[i]!));
    expect(worst).toBeLessThanOrEqual(3);
  });

  it('decodes 8-bit OW pixel data in Explicit VR Big Endian, whose words are byte-swapped, in the right colours', async () => {
    // dcmtk decompresses the RLE endoscopy frame to big endian, with its 8-bit samples in OW: each pair swapped.
    run('dcmdrle', ['--write-xfer-big', join(dicomDir, 'WG04_VL1_RLE_endoscopy.dcm'), join(dir, 'vl1_be.dcm')]);
    expect(run('dcmdump', ['-q', join(dir, 'vl1_be.dcm')])).toMatch(/\(7fe0,0010\) OW/);
    const be = await decodeFrame(readDicom(readFileSync(join(dir, 'vl1_be.dcm'))), 0);
    const reference = await decodeFrame(load('WG04_VL1_RLE_endoscopy.dcm'), 0);
    expect(Buffer.compare(Buffer.from(be.data), Buffer.from(reference.data))).toBe(0);
  });

  it('reads a raw Explicit VR data set without preamble or File Meta, whatever its first element', () => {
    // dcmtk writes CT_small as a bare Explicit VR Little Endian data set.
    run('dcmconv', ['--write-dataset', '--write-xfer-little', join(dicomDir, 'CT_small.dcm'), join(dir, 'ct_raw.dcm')]);
    const raw = readFileSync(join(dir, 'ct_raw.dcm'));
    const reference = valuesOf(readDicom(readFileSync(join(dicomDir, 'CT_small.dcm'))).dataset);
    expect(valuesOf(readDicom(raw).dataset)).toEqual(reference);
    // Its first element written with VR UN, as a writer that did not know the attribute does (PS3.5 6.2.2).
    const un = Buffer.concat([Buffer.from([0x08, 0x00, 0x05, 0x00, 0x55, 0x4e, 0, 0, 10, 0, 0, 0]), raw.subarray(8)]);
    expect(raw.toString('latin1', 4, 6)).toBe('CS');
    writeFileSync(join(dir, 'ct_raw_un.dcm'), un);
    expect(run('dcmdump', ['-q', '--read-dataset', '--read-xfer-little', join(dir, 'ct_raw_un.dcm')])).toContain('(0008,0060) CS [CT]');
    const fromUn = readDicom(un);
    expect(fromUn).toMatchObject({ hadFileMeta: false, explicitVR: true, transferSyntaxUID: TS.ExplicitLE });
    expect(stringOf(fromUn.dataset, T.Modality)).toBe('CT');
    expect(valuesOf(fromUn.dataset).length).toBe(reference.length);
    // The same data set in Explicit VR Big Endian, also without File Meta.
    run('dcmconv', ['--write-dataset', '--write-xfer-big', join(dicomDir, 'CT_small.dcm'), join(dir, 'ct_raw_be.dcm')]);
    const be = readDicom(readFileSync(join(dir, 'ct_raw_be.dcm')));
    expect(be).toMatchObject({ hadFileMeta: false, littleEndian: false, explicitVR: true, transferSyntaxUID: TS.ExplicitBE });
    expect(stringOf(be.dataset, T.Modality)).toBe('CT');
    // Implicit VR stays implicit.
    run('dcmconv', ['--write-dataset', '--write-xfer-implicit', join(dicomDir, 'CT_small.dcm'), join(dir, 'ct_raw_implicit.dcm')]);
    expect(readDicom(readFileSync(join(dir, 'ct_raw_implicit.dcm')))).toMatchObject({ explicitVR: false, transferSyntaxUID: TS.ImplicitLE });
  });
});

/** Full-range YCbCr (PS3.3 C.7.6.3.1.2) of an RGB triple. */
function toYbr(r: number, g: number, b: number): [number, number, number] {
  return [0.299 * r + 0.587 * g + 0.114 * b, -0.168736 * r - 0.331264 * g + 0.5 * b + 128, 0.5 * r - 0.418688 * g - 0.081312 * b + 128];
}
