import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
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
