// Pixel Data: frame extraction, decoding per transfer syntax, window/level and PNG rendering for display.
import { createRequire } from 'node:module';
import { inflateRawSync } from 'node:zlib';
import sharp from 'sharp';
import { MediaError } from '../errors.ts';
import { T, formatTag } from './dictionary.ts';
import { type DicomFile, numberOf, numbersOf, stringOf, stringsOf, TS } from './parse.ts';

const require = createRequire(import.meta.url);

export type Codec = 'native' | 'deflate' | 'rle' | 'jpeg-baseline' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg-2000';

interface TransferSyntaxInfo {
  name: string;
  codec?: Codec;
  /** why frames of this syntax cannot be displayed */
  unsupported?: string;
}

/** Every transfer syntax the library knows, and whether its frames can be decoded for display. */
export const transferSyntaxes: Record<string, TransferSyntaxInfo> = {
  [TS.ImplicitLE]: { name: 'Implicit VR Little Endian', codec: 'native' },
  [TS.ExplicitLE]: { name: 'Explicit VR Little Endian', codec: 'native' },
  [TS.DeflatedLE]: { name: 'Deflated Explicit VR Little Endian', codec: 'native' },
  [TS.ExplicitBE]: { name: 'Explicit VR Big Endian (retired)', codec: 'native' },
  '1.2.840.10008.1.2.1.98': { name: 'Encapsulated Uncompressed Explicit VR Little Endian', unsupported: 'encapsulated uncompressed is not implemented' },
  '1.2.840.10008.1.2.5': { name: 'RLE Lossless', codec: 'rle' },
  '1.2.840.10008.1.2.8.1': { name: 'Deflated Image Frame Compression', codec: 'deflate' },
  '1.2.840.10008.1.2.4.50': { name: 'JPEG Baseline (Process 1)', codec: 'jpeg-baseline' },
  '1.2.840.10008.1.2.4.51': { name: 'JPEG Extended (Process 2 & 4)', codec: 'jpeg-baseline' },
  '1.2.840.10008.1.2.4.57': { name: 'JPEG Lossless (Process 14)', codec: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.70': { name: 'JPEG Lossless SV1 (Process 14, Selection Value 1)', codec: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', codec: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Near-Lossless', codec: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 Lossless', codec: 'jpeg-2000' },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', codec: 'jpeg-2000' },
  '1.2.840.10008.1.2.4.92': { name: 'JPEG 2000 Part 2 Multi-component Lossless', unsupported: 'JPEG 2000 Part 2 multi-component is not decoded' },
  '1.2.840.10008.1.2.4.93': { name: 'JPEG 2000 Part 2 Multi-component', unsupported: 'JPEG 2000 Part 2 multi-component is not decoded' },
  '1.2.840.10008.1.2.4.94': { name: 'JPIP Referenced', unsupported: 'pixel data is on a JPIP server, not in the file' },
  '1.2.840.10008.1.2.4.95': { name: 'JPIP Referenced Deflate', unsupported: 'pixel data is on a JPIP server, not in the file' },
  '1.2.840.10008.1.2.4.100': { name: 'MPEG2 Main Profile @ Main Level', unsupported: 'MPEG-2 video: extract the stream and use the video pipeline' },
  '1.2.840.10008.1.2.4.101': { name: 'MPEG2 Main Profile @ High Level', unsupported: 'MPEG-2 video: extract the stream and use the video pipeline' },
  '1.2.840.10008.1.2.4.102': { name: 'MPEG-4 AVC/H.264 High Profile', unsupported: 'H.264 video: extract the stream and use the video pipeline' },
  '1.2.840.10008.1.2.4.103': { name: 'MPEG-4 AVC/H.264 BD-compatible', unsupported: 'H.264 video: extract the stream and use the video pipeline' },
  '1.2.840.10008.1.2.4.104': { name: 'MPEG-4 AVC/H.264 High Profile For 2D Video', unsupported: 'H.264 video: extract the stream and use the video pipeline' },
  '1.2.840.10008.1.2.4.105': { name: 'MPEG-4 AVC/H.264 High Profile For 3D Video', unsupported: 'H.264 video: extract the stream and use the video pipeline' },
  '1.2.840.10008.1.2.4.106': { name: 'MPEG-4 AVC/H.264 Stereo High Profile', unsupported: 'H.264 video: extract the stream and use the video pipeline' },
  '1.2.840.10008.1.2.4.107': { name: 'HEVC/H.265 Main Profile', unsupported: 'HEVC video: extract the stream and use the video pipeline' },
  '1.2.840.10008.1.2.4.108': { name: 'HEVC/H.265 Main 10 Profile', unsupported: 'HEVC video: extract the stream and use the video pipeline' },
  '1.2.840.10008.1.2.4.110': { name: 'JPEG XL Lossless', unsupported: 'no JPEG XL decoder is available' },
  '1.2.840.10008.1.2.4.111': { name: 'JPEG XL JPEG Recompression', unsupported: 'no JPEG XL decoder is available' },
  '1.2.840.10008.1.2.4.112': { name: 'JPEG XL', unsupported: 'no JPEG XL decoder is available' },
  '1.2.840.10008.1.2.4.201': { name: 'High-Throughput JPEG 2000 Lossless', unsupported: 'HTJ2K decoding is not enabled (untested)' },
  '1.2.840.10008.1.2.4.202': { name: 'High-Throughput JPEG 2000 RPCL Lossless', unsupported: 'HTJ2K decoding is not enabled (untested)' },
  '1.2.840.10008.1.2.4.203': { name: 'High-Throughput JPEG 2000', unsupported: 'HTJ2K decoding is not enabled (untested)' },
  '1.2.840.10008.1.2.4.204': { name: 'JPIP HTJ2K Referenced', unsupported: 'pixel data is on a JPIP server, not in the file' },
  '1.2.840.10008.1.2.4.205': { name: 'JPIP HTJ2K Referenced Deflate', unsupported: 'pixel data is on a JPIP server, not in the file' },
};

export interface DisplaySupport {
  displayable: boolean;
  transferSyntaxName: string;
  reason?: string;
}

export function displaySupport(transferSyntaxUID: string): DisplaySupport {
  const info = transferSyntaxes[transferSyntaxUID];
  if (!info) return { displayable: false, transferSyntaxName: 'unknown', reason: 'unknown (private or retired) transfer syntax' };
  return info.codec ? { displayable: true, transferSyntaxName: info.name } : { displayable: false, transferSyntaxName: info.name, reason: info.unsupported ?? 'not supported' };
}

export interface ImagePixelModule {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  photometricInterpretation: string;
  planarConfiguration: number;
  numberOfFrames: number;
}

export function pixelModule(file: DicomFile): ImagePixelModule {
  const ds = file.dataset;
  const le = file.littleEndian;
  const bitsAllocated = numberOf(ds, T.BitsAllocated, le) ?? 0;
  return {
    rows: numberOf(ds, T.Rows, le) ?? 0,
    columns: numberOf(ds, T.Columns, le) ?? 0,
    samplesPerPixel: numberOf(ds, T.SamplesPerPixel, le) ?? 1,
    bitsAllocated,
    bitsStored: numberOf(ds, T.BitsStored, le) ?? bitsAllocated,
    pixelRepresentation: numberOf(ds, T.PixelRepresentation, le) ?? 0,
    photometricInterpretation: stringOf(ds, T.PhotometricInterpretation) ?? 'MONOCHROME2',
    planarConfiguration: numberOf(ds, T.PlanarConfiguration, le) ?? 0,
    numberOfFrames: Math.max(1, Math.trunc(numberOf(ds, T.NumberOfFrames) ?? 1)),
  };
}

/** A decoded frame: interleaved samples, one typed array. Colour frames from JPEG/J2K codecs come back as RGB. */
export interface DecodedFrame {
  width: number;
  height: number;
  samplesPerPixel: number;
  /** 8 or 16 (1-bit frames are unpacked to 8) */
  bitsAllocated: number;
  signed: boolean;
  photometricInterpretation: string;
  data: Uint8Array | Uint16Array | Int16Array;
}

/** YBR_FULL_422 and YBR_PARTIAL_422: Cb and Cr once per pair of pixels, stored Y1 Y2 Cb Cr (PS3.3 C.7.6.3.1.2). */
function isSubsampled422(pm: ImagePixelModule): boolean {
  return pm.samplesPerPixel === 3 && pm.photometricInterpretation.endsWith('_422');
}

function frameBytes(pm: ImagePixelModule): number {
  // Two samples per pixel on average in 4:2:2; an odd last column still takes a whole pair.
  if (isSubsampled422(pm)) return pm.rows * (pm.columns + (pm.columns % 2)) * 2 * (pm.bitsAllocated / 8);
  const bits = pm.rows * pm.columns * pm.samplesPerPixel * pm.bitsAllocated;
  return Math.ceil(bits / 8);
}

/** 4:2:2 samples (Y1 Y2 Cb Cr per pair of pixels) to one Y Cb Cr per pixel, chroma repeated. */
function upsample422(bytes: Uint8Array, pm: ImagePixelModule): Uint8Array | Uint16Array {
  const wide = pm.bitsAllocated > 8;
  const src = wide ? toTyped(bytes, 16, false) : bytes;
  const out = wide ? new Uint16Array(pm.rows * pm.columns * 3) : new Uint8Array(pm.rows * pm.columns * 3);
  const pairsPerRow = (pm.columns + (pm.columns % 2)) / 2;
  for (let y = 0; y < pm.rows; y++) {
    for (let pair = 0; pair < pairsPerRow; pair++) {
      const i = (y * pairsPerRow + pair) * 4;
      const [y1, y2, cb, cr] = [src[i]!, src[i + 1]!, src[i + 2]!, src[i + 3]!];
      const x = pair * 2;
      out.set([y1, cb, cr], (y * pm.columns + x) * 3);
      if (x + 1 < pm.columns) out.set([y2, cb, cr], (y * pm.columns + x + 1) * 3);
    }
  }
  return out;
}

/** The compressed bitstreams of each frame of encapsulated Pixel Data. */
export function encapsulatedFrames(fragments: Uint8Array[], numberOfFrames: number): Uint8Array[] {
  const [bot, ...frags] = fragments;
  if (frags.length === 0) return [];
  const concat = (parts: Uint8Array[]): Uint8Array => (parts.length === 1 ? parts[0]! : Buffer.concat(parts));
  if (numberOfFrames === 1) return [concat(frags)];
  if (frags.length === numberOfFrames) return frags;
  if (bot && bot.length >= 4 * numberOfFrames) {
    const view = new DataView(bot.buffer, bot.byteOffset, bot.byteLength);
    const offsets = Array.from({ length: numberOfFrames }, (_, i) => view.getUint32(i * 4, true));
    const frames: Uint8Array[][] = offsets.map(() => []);
    let position = 0;
    for (const frag of frags) {
      let index = 0;
      for (let i = 0; i < offsets.length; i++) if (offsets[i]! <= position) index = i;
      frames[index]!.push(frag);
      position += frag.length + 8;
    }
    return frames.map(concat);
  }
  // No offset table: a new frame starts at a fragment that begins with a JPEG SOI or a J2K SOC marker.
  const frames: Uint8Array[][] = [];
  for (const frag of frags) {
    const startsFrame = frag[0] === 0xff && (frag[1] === 0xd8 || frag[1] === 0x4f);
    if (startsFrame || frames.length === 0) frames.push([frag]);
    else frames[frames.length - 1]!.push(frag);
  }
  return frames.map(concat);
}

// ------------------------------------------------------------- codecs

interface WasmCodec {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned?: boolean };
  delete(): void;
}

let openjpeg: Promise<{ J2KDecoder: new () => WasmCodec }> | undefined;
let charls: Promise<{ JpegLSDecoder: new () => WasmCodec }> | undefined;

// The codecs print progress to stdout; a CLI that prints JSON must stay clean.
const quietWasm = { print: () => undefined, printErr: () => undefined };

/** The sample precision of a JPEG bitstream (from its SOF marker), or undefined. */
function jpegPrecision(b: Uint8Array): number | undefined {
  for (let i = 2; i + 4 < b.length;) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return b[i + 4];
    i += 2 + ((b[i + 2]! << 8) | b[i + 3]!);
  }
  return undefined;
}

function wasmDecode(codec: WasmCodec, bitstream: Uint8Array): { info: ReturnType<WasmCodec['getFrameInfo']>; bytes: Uint8Array } {
  try {
    codec.getEncodedBuffer(bitstream.length).set(bitstream);
    codec.decode();
    const info = codec.getFrameInfo();
    return { info, bytes: new Uint8Array(codec.getDecodedBuffer()) };
  } finally {
    codec.delete();
  }
}

function rleDecode(frame: Uint8Array, pm: ImagePixelModule): Uint8Array {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 64) throw new MediaError('DECODE_FAILED', 'RLE frame is shorter than its header.');
  const segments = view.getUint32(0, true);
  const bytesPerSample = pm.bitsAllocated / 8;
  const pixels = pm.rows * pm.columns;
  if (segments !== pm.samplesPerPixel * bytesPerSample)
    throw new MediaError('DECODE_FAILED', `RLE frame has ${segments} segments, ${pm.samplesPerPixel * bytesPerSample} expected.`);
  const out = new Uint8Array(pixels * pm.samplesPerPixel * bytesPerSample);
  for (let s = 0; s < segments; s++) {
    const start = view.getUint32(4 + s * 4, true);
    const end = s + 1 < segments ? view.getUint32(8 + s * 4, true) : frame.length;
    const sample = Math.floor(s / bytesPerSample);
    // Segments hold the most significant byte first; the output is little endian, interleaved.
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
    const stride = pm.samplesPerPixel * bytesPerSample;
    let o = sample * bytesPerSample + byteInSample;
    let written = 0;
    let i = start;
    while (i < end && written < pixels) {
      const n = (frame[i++]! << 24) >> 24;
      if (n >= 0) {
        for (let k = 0; k <= n && written < pixels; k++, written++, o += stride) out[o] = frame[i++]!;
      } else if (n !== -128) {
        const v = frame[i++]!;
        for (let k = 0; k < 1 - n && written < pixels; k++, written++, o += stride) out[o] = v;
      }
    }
    if (written < pixels) throw new MediaError('DECODE_FAILED', `RLE segment ${s} decodes to ${written} of ${pixels} pixels.`);
  }
  return out;
}

function toTyped(bytes: Uint8Array, bits: number, signed: boolean, little = true): Uint8Array | Uint16Array | Int16Array {
  if (bits <= 8) return bytes;
  const n = bytes.length >> 1;
  const out = signed ? new Int16Array(n) : new Uint16Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = signed ? view.getInt16(i * 2, little) : view.getUint16(i * 2, little);
  return out;
}

function planarToInterleaved(bytes: Uint8Array, pixels: number, samples: number, bytesPerSample = 1): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let s = 0; s < samples; s++)
    for (let p = 0; p < pixels; p++) for (let b = 0; b < bytesPerSample; b++) out[(p * samples + s) * bytesPerSample + b] = bytes[(s * pixels + p) * bytesPerSample + b]!;
  return out;
}

function unpackBits(packed: Uint8Array, startBit: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (packed[(startBit + i) >> 3]! >> ((startBit + i) & 7)) & 1 ? 255 : 0;
  return out;
}

type FrameBase = Pick<DecodedFrame, 'width' | 'height' | 'samplesPerPixel' | 'signed' | 'photometricInterpretation'>;

/** One frame of native samples (8 or 16 bits allocated) as a decoded frame: interleaved, 4:2:2 upsampled. */
function nativeFrame(bytes: Uint8Array, pm: ImagePixelModule, base: FrameBase, little: boolean): DecodedFrame {
  if (isSubsampled422(pm)) {
    // One Y Cb Cr per pixel, so the frame is YBR_FULL (or RGB, for the partial range).
    const data = upsample422(little || pm.bitsAllocated <= 8 ? bytes : swap16(bytes), pm);
    const full = pm.photometricInterpretation.startsWith('YBR_FULL');
    return {
      ...base,
      bitsAllocated: pm.bitsAllocated > 8 ? 16 : 8,
      data: full ? data : partialYbrToRgb(data, pm.bitsAllocated),
      photometricInterpretation: full ? 'YBR_FULL' : 'RGB',
    };
  }
  let interleaved = bytes;
  if (pm.samplesPerPixel > 1 && pm.planarConfiguration === 1) interleaved = planarToInterleaved(bytes, pm.rows * pm.columns, pm.samplesPerPixel, pm.bitsAllocated / 8);
  return { ...base, bitsAllocated: pm.bitsAllocated, data: toTyped(interleaved, pm.bitsAllocated, base.signed, little) };
}

function swap16(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + 1 < bytes.length; i += 2) [out[i], out[i + 1]] = [bytes[i + 1]!, bytes[i]!];
  return out;
}

/** YBR_PARTIAL (studio range, PS3.3 C.7.6.3.1.2) to RGB. */
function partialYbrToRgb(ybr: Uint8Array | Uint16Array, bitsAllocated: number): Uint8Array | Uint16Array {
  const scale = bitsAllocated > 8 ? 256 : 1;
  const max = bitsAllocated > 8 ? 65535 : 255;
  const out = bitsAllocated > 8 ? new Uint16Array(ybr.length) : new Uint8Array(ybr.length);
  for (let p = 0; p < ybr.length; p += 3) {
    const y = 1.164 * (ybr[p]! / scale - 16);
    const cb = ybr[p + 1]! / scale - 128;
    const cr = ybr[p + 2]! / scale - 128;
    const rgb = [y + 1.596 * cr, y - 0.392 * cb - 0.813 * cr, y + 2.017 * cb];
    for (let c = 0; c < 3; c++) out[p + c] = Math.max(0, Math.min(max, Math.round(rgb[c]! * scale)));
  }
  return out;
}

/** Decodes frame `index` (0-based). Throws UNSUPPORTED_TRANSFER_SYNTAX, TRUNCATED or DECODE_FAILED. */
export async function decodeFrame(file: DicomFile, index: number): Promise<DecodedFrame> {
  const support = displaySupport(file.transferSyntaxUID);
  if (!support.displayable) {
    throw new MediaError('UNSUPPORTED_TRANSFER_SYNTAX', `Frames in ${support.transferSyntaxName} (${file.transferSyntaxUID}) cannot be decoded for display: ${support.reason}.`, {
      transferSyntaxUID: file.transferSyntaxUID,
    });
  }
  const pm = pixelModule(file);
  const pixel = file.dataset.get(T.PixelData);
  if (!pixel) throw new MediaError('DECODE_FAILED', 'The data set has no Pixel Data (7FE0,0010).');
  if (index < 0 || index >= pm.numberOfFrames) throw new MediaError('INVALID_ARGUMENT', `Frame ${index} is out of range (0..${pm.numberOfFrames - 1}).`);
  const signed = pm.pixelRepresentation === 1;
  const base = { width: pm.columns, height: pm.rows, samplesPerPixel: pm.samplesPerPixel, signed, photometricInterpretation: pm.photometricInterpretation };
  const codec = transferSyntaxes[file.transferSyntaxUID]!.codec!;

  if (codec === 'native') {
    if (!pixel.value) throw new MediaError('DECODE_FAILED', 'Native Pixel Data is encapsulated.');
    // Big endian OW holds 16-bit words: 8-bit (and 1-bit) samples come byte-swapped in pairs (PS3.5 8.1.1).
    const wordSwapped = !file.littleEndian && pixel.vr === 'OW' && pm.bitsAllocated <= 8;
    let all = pixel.value;
    if (pm.bitsAllocated === 1) {
      if (wordSwapped) all = swap16(all);
      // Frames of 1-bit data are not byte aligned: frame n starts at bit n x rows x columns.
      const start = index * pm.rows * pm.columns;
      if (Math.ceil((start + pm.rows * pm.columns) / 8) > all.length) {
        throw new MediaError('TRUNCATED', `Pixel Data holds ${all.length} bytes; frame ${index} needs ${Math.ceil((start + pm.rows * pm.columns) / 8)}.`);
      }
      return { ...base, bitsAllocated: 8, signed: false, data: unpackBits(all, start, pm.rows * pm.columns) };
    }
    const size = frameBytes(pm);
    const end = (index + 1) * size;
    if (all.length < end) {
      throw new MediaError(
        'TRUNCATED',
        `Pixel Data holds ${all.length} bytes; ${size * pm.numberOfFrames} are needed for ${pm.numberOfFrames} frame(s) of ${pm.columns}x${pm.rows}.`,
        {
          present: all.length,
          expected: size * pm.numberOfFrames,
        },
      );
    }
    if (wordSwapped) {
      // Swap the whole words around this frame only, then cut the frame out.
      const from = index * size - ((index * size) % 2);
      return nativeFrame(swap16(all.subarray(from, Math.min(all.length, end + (end % 2)))).subarray(index * size - from, end - from), pm, base, file.littleEndian);
    }
    return nativeFrame(all.subarray(index * size, end), pm, base, file.littleEndian);
  }

  if (codec === 'deflate') {
    // Deflated Image Frame Compression (PS3.5 8.2.16): each frame is its native bytes, deflated on their own.
    const frame = pixel.fragments ? encapsulatedFrames(pixel.fragments, pm.numberOfFrames)[index] : undefined;
    if (!frame) throw new MediaError('TRUNCATED', `Encapsulated Pixel Data has no frame ${index}.`);
    const size = pm.bitsAllocated === 1 ? Math.ceil((pm.rows * pm.columns) / 8) : frameBytes(pm);
    let bytes: Buffer;
    try {
      // A frame never inflates past its declared size (and a pad byte): more would be a bomb.
      bytes = inflateRawSync(frame, { maxOutputLength: size + 1 });
    } catch (error) {
      throw new MediaError(
        'DECODE_FAILED',
        `Frame ${index} does not inflate to the ${size} bytes its geometry declares.`,
        { transferSyntaxUID: file.transferSyntaxUID },
        { cause: error },
      );
    }
    if (bytes.length < size) throw new MediaError('TRUNCATED', `Frame ${index} inflates to ${bytes.length} bytes; ${size} are needed.`, { present: bytes.length, expected: size });
    if (pm.bitsAllocated === 1) return { ...base, bitsAllocated: 8, signed: false, data: unpackBits(bytes, 0, pm.rows * pm.columns) };
    return nativeFrame(bytes.subarray(0, size), pm, base, true);
  }

  if (!pixel.fragments) throw new MediaError('DECODE_FAILED', `Pixel Data in ${support.transferSyntaxName} must be encapsulated.`);
  const frames = encapsulatedFrames(pixel.fragments, pm.numberOfFrames);
  const frame = frames[index];
  if (!frame) throw new MediaError('TRUNCATED', `Encapsulated Pixel Data holds ${frames.length} frame(s); frame ${index} is missing.`);
  try {
    switch (codec) {
      case 'rle': {
        const bytes = rleDecode(frame, pm);
        return { ...base, bitsAllocated: pm.bitsAllocated, data: toTyped(bytes, pm.bitsAllocated, signed) };
      }
      case 'jpeg-baseline': {
        if ((jpegPrecision(frame) ?? 8) > 8) {
          throw new MediaError(
            'UNSUPPORTED_TRANSFER_SYNTAX',
            `Frames in ${support.transferSyntaxName} with 12-bit samples cannot be decoded for display (no 12-bit JPEG decoder is available).`,
            {
              transferSyntaxUID: file.transferSyntaxUID,
              precision: 12,
            },
          );
        }
        const { data, info } = await sharp(frame, { failOn: 'error' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
        const photometric = info.channels >= 3 ? 'RGB' : pm.photometricInterpretation;
        return {
          ...base,
          width: info.width,
          height: info.height,
          samplesPerPixel: info.channels,
          bitsAllocated: 8,
          signed: false,
          photometricInterpretation: photometric,
          data: new Uint8Array(data),
        };
      }
      case 'jpeg-lossless': {
        const { Decoder } = require('jpeg-lossless-decoder-js') as { Decoder: new () => { decompress(b: ArrayBuffer, offset?: number, length?: number): ArrayBuffer } };
        const copy = new Uint8Array(frame).buffer;
        const out = new Uint8Array(new Decoder().decompress(copy, 0, copy.byteLength));
        return { ...base, bitsAllocated: pm.bitsAllocated, data: toTyped(out, pm.bitsAllocated, signed) };
      }
      case 'jpeg-ls': {
        charls ??= (require('@cornerstonejs/codec-charls/decodewasmjs') as (m: object) => Promise<{ JpegLSDecoder: new () => WasmCodec }>)(quietWasm);
        const { info, bytes } = wasmDecode(new (await charls).JpegLSDecoder(), frame);
        const bits = info.bitsPerSample > 8 ? 16 : 8;
        return { ...base, width: info.width, height: info.height, samplesPerPixel: info.componentCount, bitsAllocated: bits, data: toTyped(bytes, bits, signed) };
      }
      case 'jpeg-2000': {
        openjpeg ??= (require('@cornerstonejs/codec-openjpeg/decodewasmjs') as (m: object) => Promise<{ J2KDecoder: new () => WasmCodec }>)(quietWasm);
        const { info, bytes } = wasmDecode(new (await openjpeg).J2KDecoder(), frame);
        const bits = info.bitsPerSample > 8 ? 16 : 8;
        const photometric = info.componentCount >= 3 ? 'RGB' : pm.photometricInterpretation;
        return {
          ...base,
          width: info.width,
          height: info.height,
          samplesPerPixel: info.componentCount,
          bitsAllocated: bits,
          photometricInterpretation: photometric,
          data: toTyped(bytes, bits, signed),
        };
      }
      default:
        throw new MediaError('UNSUPPORTED_TRANSFER_SYNTAX', `No decoder for ${support.transferSyntaxName}.`, { transferSyntaxUID: file.transferSyntaxUID });
    }
  } catch (error) {
    if (error instanceof MediaError) throw error;
    throw new MediaError(
      'DECODE_FAILED',
      `Frame ${index} could not be decoded as ${support.transferSyntaxName} (${file.transferSyntaxUID}).`,
      { transferSyntaxUID: file.transferSyntaxUID },
      { cause: error },
    );
  }
}

// ------------------------------------------------------------- display

export interface WindowLevel {
  center: number;
  width: number;
  source: 'header' | 'pixel-range';
}

function functionalGroupValue(file: DicomFile, seqTag: number, tag: number, frame: number): number[] {
  const fromGroups = (groupsTag: number, itemIndex: number): number[] => {
    const groups = file.dataset.get(groupsTag)?.items?.[itemIndex];
    const inner = groups?.get(seqTag)?.items?.[0];
    return inner ? numbersOf(inner, tag, file.littleEndian) : [];
  };
  const perFrame = fromGroups(T.PerFrameFunctionalGroupsSequence, frame);
  return perFrame.length > 0 ? perFrame : fromGroups(T.SharedFunctionalGroupsSequence, 0);
}

/** Rescale slope/intercept (top level or the Pixel Value Transformation functional group). */
export function rescaleOf(file: DicomFile, frame = 0): { slope: number; intercept: number } {
  const slope = numberOf(file.dataset, T.RescaleSlope) ?? functionalGroupValue(file, T.PixelValueTransformationSequence, T.RescaleSlope, frame)[0] ?? 1;
  const intercept = numberOf(file.dataset, T.RescaleIntercept) ?? functionalGroupValue(file, T.PixelValueTransformationSequence, T.RescaleIntercept, frame)[0] ?? 0;
  return { slope, intercept };
}

/** Default window: the header's first Window Center/Width, else the frame's modality-value range. */
export function defaultWindow(file: DicomFile, frame: DecodedFrame, frameIndex = 0): WindowLevel {
  const center = numberOf(file.dataset, T.WindowCenter) ?? functionalGroupValue(file, T.FrameVOILUTSequence, T.WindowCenter, frameIndex)[0];
  const width = numberOf(file.dataset, T.WindowWidth) ?? functionalGroupValue(file, T.FrameVOILUTSequence, T.WindowWidth, frameIndex)[0];
  if (center !== undefined && width !== undefined && width > 0) return { center, width, source: 'header' };
  const { slope, intercept } = rescaleOf(file, frameIndex);
  let min = Infinity;
  let max = -Infinity;
  for (const v of frame.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  min = min * slope + intercept;
  max = max * slope + intercept;
  return { center: (min + max) / 2, width: Math.max(1, max - min), source: 'pixel-range' };
}

/** Converts a decoded frame to 8-bit grey or RGB for display. */
export function toDisplay(file: DicomFile, frame: DecodedFrame, frameIndex = 0, window?: WindowLevel): { data: Uint8Array; channels: 1 | 3; window?: WindowLevel } {
  const pixels = frame.width * frame.height;
  if (frame.samplesPerPixel >= 3) {
    const out = new Uint8Array(pixels * 3);
    const ybr = frame.photometricInterpretation.startsWith('YBR_FULL');
    const shift = frame.bitsAllocated > 8 ? frame.bitsAllocated - 8 : 0;
    for (let p = 0; p < pixels; p++) {
      let r = frame.data[p * frame.samplesPerPixel]! >> shift;
      let g = frame.data[p * frame.samplesPerPixel + 1]! >> shift;
      let b = frame.data[p * frame.samplesPerPixel + 2]! >> shift;
      if (ybr) {
        const y = r;
        const cb = g - 128;
        const cr = b - 128;
        r = y + 1.402 * cr;
        g = y - 0.344136 * cb - 0.714136 * cr;
        b = y + 1.772 * cb;
      }
      out[p * 3] = Math.max(0, Math.min(255, Math.round(r)));
      out[p * 3 + 1] = Math.max(0, Math.min(255, Math.round(g)));
      out[p * 3 + 2] = Math.max(0, Math.min(255, Math.round(b)));
    }
    return { data: out, channels: 3 };
  }
  const wl = window ?? defaultWindow(file, frame, frameIndex);
  const { slope, intercept } = rescaleOf(file, frameIndex);
  const invert = frame.photometricInterpretation === 'MONOCHROME1';
  const low = wl.center - wl.width / 2;
  const out = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const v = frame.data[p]! * slope + intercept;
    let d = Math.round(((v - low) / wl.width) * 255);
    d = d < 0 ? 0 : d > 255 ? 255 : d;
    out[p] = invert ? 255 - d : d;
  }
  return { data: out, channels: 1, window: wl };
}

/** Renders frame `index` as a PNG for the console. */
export async function renderFramePng(file: DicomFile, index = 0, window?: WindowLevel): Promise<Buffer> {
  const frame = await decodeFrame(file, index);
  const { data, channels } = toDisplay(file, frame, index, window);
  return sharp(data, { raw: { width: frame.width, height: frame.height, channels } })
    .png()
    .toBuffer();
}

export interface Geometry {
  /** row spacing, column spacing (mm) */
  pixelSpacing?: [number, number];
  sliceThickness?: number;
  imageOrientationPatient?: number[];
  imagePositionPatient?: number[];
}

/** Spacing and orientation from the top level or the shared functional groups of enhanced objects. */
export function geometryOf(file: DicomFile): Geometry {
  const ds = file.dataset;
  const spacing = numbersOf(ds, T.PixelSpacing);
  const fgSpacing = spacing.length === 2 ? spacing : functionalGroupValue(file, T.PixelMeasuresSequence, T.PixelSpacing, 0);
  const thickness = numberOf(ds, T.SliceThickness) ?? functionalGroupValue(file, T.PixelMeasuresSequence, T.SliceThickness, 0)[0];
  const orientation = numbersOf(ds, T.ImageOrientationPatient);
  const fgOrientation = orientation.length === 6 ? orientation : functionalGroupValue(file, T.PlaneOrientationSequence, T.ImageOrientationPatient, 0);
  const position = numbersOf(ds, T.ImagePositionPatient);
  const fgPosition = position.length === 3 ? position : functionalGroupValue(file, T.PlanePositionSequence, T.ImagePositionPatient, 0);
  const g: Geometry = {};
  if (fgSpacing.length === 2) g.pixelSpacing = [fgSpacing[0]!, fgSpacing[1]!];
  if (thickness !== undefined) g.sliceThickness = thickness;
  if (fgOrientation.length === 6) g.imageOrientationPatient = fgOrientation;
  if (fgPosition.length === 3) g.imagePositionPatient = fgPosition;
  return g;
}

export { formatTag, stringsOf };
