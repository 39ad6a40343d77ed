import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, crc32, deflateRawSync, gzipSync, inflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateAndProbe } from './probe.ts';
import { MediaError } from './errors.ts';
import { dicomDir, ffmpeg, niftiDir, tempDir } from './test-support.ts';

const dir = tempDir();

async function codeOf(path: string, options: Parameters<typeof validateAndProbe>[1] = {}): Promise<string> {
  try {
    await validateAndProbe(path, options);
    return 'OK';
  } catch (error) {
    if (!(error instanceof MediaError)) throw error;
    // Messages must never carry header values.
    expect(error.message).not.toMatch(/CompressedSamples|Sssssss|Lestrade|Moriarty|JFK|Citizen/);
    return error.code;
  }
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

describe('validateAndProbe on bad input', () => {
  beforeAll(() => {
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=160x120:r=25:d=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', join(dir, 'good.mp4')]);
    const mp4 = readFileSync(join(dir, 'good.mp4'));
    writeFileSync(join(dir, 'truncated.mp4'), mp4.subarray(0, Math.floor(mp4.length / 2)));
    ffmpeg(['-i', join(dir, 'good.mp4'), '-c', 'copy', '-movflags', '+faststart', join(dir, 'faststart.mp4')]);
    const fast = readFileSync(join(dir, 'faststart.mp4'));
    writeFileSync(join(dir, 'truncated-faststart.mp4'), fast.subarray(0, Math.floor(fast.length * 0.7)));
  });

  it('gives each malformed real DICOM file its own error', async () => {
    expect(await codeOf(join(dicomDir, 'MR_truncated.dcm'))).toBe('TRUNCATED');
    expect(await codeOf(join(dicomDir, 'emri_small_jpeg_2k_lossless_too_short.dcm'))).toBe('TRUNCATED');
    // rtstruct.dcm (no preamble, no File Meta) is read as a raw data set, or refused in strict mode.
    expect(await codeOf(join(dicomDir, 'rtstruct.dcm'))).toBe('OK');
    expect(await codeOf(join(dicomDir, 'rtstruct.dcm'), { strictDicom: true })).toBe('MISSING_FILE_META');
  });

  it('reads the UN-encoded sequence of bad_sequence.dcm as PS3.5 says, and rejects a broken one', async () => {
    const probe = await validateAndProbe(join(dicomDir, 'bad_sequence.dcm'));
    expect(probe.kind).toBe('dicom');
    const bytes = Buffer.from(readFileSync(join(dicomDir, 'bad_sequence.dcm')));
    // Corrupt the item inside (0018,9346): its item tag becomes garbage and its length overruns.
    const at = bytes.indexOf(Buffer.from([0x18, 0x00, 0x46, 0x93, 0x55, 0x4e]));
    bytes.writeUInt32LE(0xffffffff, at + 8);
    bytes.writeUInt32LE(0x12345678, at + 12);
    writeFileSync(join(dir, 'broken_sequence.dcm'), bytes);
    expect(await codeOf(join(dir, 'broken_sequence.dcm'))).toBe('INVALID_SEQUENCE');
  });

  it('flags empty files, truncated video and content that does not match the extension', async () => {
    writeFileSync(join(dir, 'empty.dcm'), '');
    expect(await codeOf(join(dir, 'empty.dcm'))).toBe('EMPTY_FILE');
    expect(await codeOf(join(dir, 'truncated.mp4'))).toBe('TRUNCATED');
    expect(await codeOf(join(dir, 'truncated-faststart.mp4'))).toBe('TRUNCATED');
    copyFileSync(join(dicomDir, 'CT_small.dcm'), join(dir, 'not-a-video.mp4'));
    expect(await codeOf(join(dir, 'not-a-video.mp4'))).toBe('FORMAT_MISMATCH');
    copyFileSync(join(dir, 'good.mp4'), join(dir, 'video.png'));
    expect(await codeOf(join(dir, 'video.png'))).toBe('FORMAT_MISMATCH');
    writeFileSync(join(dir, 'text.dcm'), 'hello, this is not DICOM at all '.repeat(20));
    expect(await codeOf(join(dir, 'text.dcm'))).toBe('UNKNOWN_FORMAT');
    expect(await codeOf(join(dir, 'good.mp4'))).toBe('OK');
  });

  it('stops decompression bombs: .nii.gz, deflated DICOM and a PNG with giant dimensions', async () => {
    // A NIfTI whose header declares 4096^3 int16 voxels.
    const header = Buffer.from(readFileSync(join(niftiDir, 'functional.nii')).subarray(0, 352));
    const le = header.readInt32LE(0) === 348;
    const w16 = (v: number, o: number): number => (le ? header.writeInt16LE(v, o) : header.writeInt16BE(v, o));
    w16(3, 40);
    w16(4096, 42);
    w16(4096, 44);
    w16(4096, 46);
    writeFileSync(join(dir, 'declared.nii.gz'), gzipSync(Buffer.concat([header, Buffer.alloc(1024)])));
    expect(await codeOf(join(dir, 'declared.nii.gz'))).toBe('DECOMPRESSION_BOMB');
    // A .nii.gz that really inflates to 64 MiB, checked against a 16 MiB limit.
    writeFileSync(join(dir, 'bomb.nii.gz'), gzipSync(Buffer.concat([readFileSync(join(niftiDir, 'functional.nii')).subarray(0, 352), Buffer.alloc(64 * 2 ** 20)])));
    expect(await codeOf(join(dir, 'bomb.nii.gz'), { maxDecompressedBytes: 16 * 2 ** 20 })).toBe('DECOMPRESSION_BOMB');
    // Deflated DICOM: the real file's meta + a data set that inflates to 64 MiB.
    const dfl = readFileSync(join(dicomDir, 'image_dfl.dcm'));
    const metaEnd = 132 + 12 + dfl.readUInt32LE(140);
    const zeros = Buffer.alloc(64 * 2 ** 20);
    writeFileSync(join(dir, 'bomb_dfl.dcm'), Buffer.concat([dfl.subarray(0, metaEnd), deflateRawSync(zeros)]));
    expect(await codeOf(join(dir, 'bomb_dfl.dcm'), { maxDecompressedBytes: 16 * 2 ** 20 })).toBe('DECOMPRESSION_BOMB');
    // PNG declaring 100000 x 100000 pixels.
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(100_000, 0);
    ihdr.writeUInt32BE(100_000, 4);
    ihdr[8] = 8;
    ihdr[9] = 2;
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', gzipSync(Buffer.alloc(1000))),
      pngChunk('IEND', Buffer.alloc(0)),
    ]);
    writeFileSync(join(dir, 'giant.png'), png);
    expect(await codeOf(join(dir, 'giant.png'))).toBe('DECOMPRESSION_BOMB');
  });

  it('probes every well-formed real file', async () => {
    for (const f of ['CT_small.dcm', 'ExplVR_BigEnd.dcm', 'image_dfl.dcm', 'emri_small.dcm', 'liver_seg.dcm', 'WG04_XA1_JPLY.dcm']) {
      expect(await codeOf(join(dicomDir, f)), f).toBe('OK');
    }
    for (const f of ['anatomical.nii', 'anatomical_label.nii.gz', 'example4d.nii.gz', 'example_nifti2.nii.gz', 'functional.nii', 'with_extension.nii.gz']) {
      expect(await codeOf(join(niftiDir, f)), f).toBe('OK');
    }
  });
});

const MiB = 2 ** 20;
const here = dirname(fileURLToPath(import.meta.url));

/**
 * `bytes` zeros as raw deflate blocks that end on a byte boundary (so that pieces concatenate): one MiB
 * deflated once and repeated, which builds a 2 GiB stream in milliseconds.
 */
function deflatedZeros(bytes: number): Buffer[] {
  const piece = deflateRawSync(Buffer.alloc(MiB), { finishFlush: constants.Z_SYNC_FLUSH });
  return Array.from({ length: bytes / MiB }, () => piece);
}

const lastBlock = deflateRawSync(Buffer.alloc(0));

/** A gzip member of `head` followed by `zeros` zero bytes, with a correct CRC-32 and size. */
function gzipWithZeros(head: Buffer, zeros: number): Buffer {
  let crc = crc32(head);
  const zero = Buffer.alloc(MiB);
  for (let i = 0; i < zeros / MiB; i++) crc = crc32(zero, crc);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE((head.length + zeros) % 2 ** 32, 4);
  return Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]),
    deflateRawSync(head, { finishFlush: constants.Z_SYNC_FLUSH }),
    ...deflatedZeros(zeros),
    lastBlock,
    trailer,
  ]);
}

interface Outcome {
  name: string;
  code: string;
  message: string;
}

/** Runs `body` (which fills `outcomes`) in a fresh Node process and returns what it reported with its peak RSS. */
function inChild(body: string): { outcomes: Outcome[]; maxRssMiB: number } {
  const script = join(dir, `child-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
import { validateAndProbe } from ${JSON.stringify(new URL('./probe.ts', import.meta.url).href)};
import { readDicom } from ${JSON.stringify(new URL('./dicom/parse.ts', import.meta.url).href)};
import { readNifti } from ${JSON.stringify(new URL('./nifti.ts', import.meta.url).href)};
const outcomes: Array<{ name: string; code: string; message: string }> = [];
async function attempt(name: string, work: () => unknown): Promise<void> {
  try {
    await work();
    outcomes.push({ name, code: 'OK', message: '' });
  } catch (error) {
    outcomes.push({ name, code: String((error as { code?: unknown }).code), message: String((error as Error).message) });
  }
}
${body}
process.stdout.write(JSON.stringify({ outcomes, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
`,
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: resolve(here, '../../..'), encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { outcomes: Outcome[]; maxRssMiB: number };
}

describe('decompression bombs, refused while inflating', () => {
  it('refuses a 2 MB deflated DICOM that inflates past 2 GiB by its compression ratio, within 200 MB', () => {
    // The real File Meta and header of image_dfl.dcm; its Pixel Data declares and holds 2 GiB of zeros.
    const dfl = readFileSync(join(dicomDir, 'image_dfl.dcm'));
    const metaEnd = 132 + 12 + dfl.readUInt32LE(140);
    const header = inflateRawSync(dfl.subarray(metaEnd));
    const pixelData = header.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f]));
    const total = 2048 * MiB + 16 * MiB;
    const element = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0, 0, 0, 0]);
    element.writeUInt32LE(total, 8);
    const bomb = Buffer.concat([
      dfl.subarray(0, metaEnd),
      deflateRawSync(Buffer.concat([header.subarray(0, pixelData), element]), { finishFlush: constants.Z_SYNC_FLUSH }),
      ...deflatedZeros(total),
      lastBlock,
    ]);
    expect(bomb.length).toBeLessThan(3 * MiB);
    writeFileSync(join(dir, 'bomb-2g.dcm'), bomb);

    const { outcomes, maxRssMiB } = inChild(`
const path = ${JSON.stringify(join(dir, 'bomb-2g.dcm'))};
await attempt('probe', () => validateAndProbe(path));
await attempt('read', () => readDicom(readFileSync(path)));
await attempt('read with a 16 MiB cap', () => readDicom(readFileSync(path), { maxInflatedBytes: 16 * 2 ** 20, maxInflateRatio: 10_000 }));
`);
    expect(outcomes.map((o) => o.code)).toEqual(['DECOMPRESSION_BOMB', 'DECOMPRESSION_BOMB', 'DECOMPRESSION_BOMB']);
    expect(outcomes[0]!.message).toMatch(/more than 200 times its compressed size/);
    expect(outcomes[2]!.message).toMatch(/beyond the limit of 16777216 bytes/);
    expect(maxRssMiB).toBeLessThan(200);
  });

  it('refuses .nii.gz bombs by their header: more data than declared, or a declared size far beyond the compressed one, within 200 MB', () => {
    // functional.nii's header (17 x 21 x 3 x 20 int16, 43 kB) followed by 2 GiB of zeros.
    const header = Buffer.from(readFileSync(join(niftiDir, 'functional.nii')).subarray(0, 352));
    writeFileSync(join(dir, 'bomb-2g.nii.gz'), gzipWithZeros(header, 2048 * MiB + 16 * MiB));
    // A header that honestly declares 512 x 512 x 1024 int16 (512 MiB) of what is all zeros: 1029:1.
    const le = header.readInt32LE(0) === 348;
    const w16 = (v: number, o: number): number => (le ? header.writeInt16LE(v, o) : header.writeInt16BE(v, o));
    w16(3, 40);
    w16(512, 42);
    w16(512, 44);
    w16(1024, 46);
    writeFileSync(join(dir, 'zeros-512m.nii.gz'), gzipWithZeros(header, 512 * MiB));

    const { outcomes, maxRssMiB } = inChild(`
for (const name of ['bomb-2g.nii.gz', 'zeros-512m.nii.gz']) {
  const path = ${JSON.stringify(dir)} + '/' + name;
  await attempt(name + ' probe', () => validateAndProbe(path));
  await attempt(name + ' read', () => readNifti(path));
}
`);
    expect(outcomes.map((o) => `${o.name}: ${o.code}`)).toEqual([
      'bomb-2g.nii.gz probe: DECOMPRESSION_BOMB',
      'bomb-2g.nii.gz read: DECOMPRESSION_BOMB',
      'zeros-512m.nii.gz probe: DECOMPRESSION_BOMB',
      'zeros-512m.nii.gz read: DECOMPRESSION_BOMB',
    ]);
    expect(outcomes[0]!.message).toMatch(/beyond the 43192 bytes its header declares/);
    expect(outcomes[2]!.message).toMatch(/more than 1000 times/);
    expect(maxRssMiB).toBeLessThan(200);
  });
});
