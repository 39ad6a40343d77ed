// NIfTI-1 and NIfTI-2 (.nii, .nii.gz): header, geometry, slice previews and de-identification.
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { MediaError } from './errors.ts';

export const niftiDataTypes: Record<number, { name: string; bytes: number }> = {
  2: { name: 'uint8', bytes: 1 },
  4: { name: 'int16', bytes: 2 },
  8: { name: 'int32', bytes: 4 },
  16: { name: 'float32', bytes: 4 },
  64: { name: 'float64', bytes: 8 },
  128: { name: 'rgb24', bytes: 3 },
  256: { name: 'int8', bytes: 1 },
  512: { name: 'uint16', bytes: 2 },
  768: { name: 'uint32', bytes: 4 },
  1024: { name: 'int64', bytes: 8 },
  1280: { name: 'uint64', bytes: 8 },
  2304: { name: 'rgba32', bytes: 4 },
};

export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  headerSize: 348 | 540;
  /** dim[1..dim[0]] */
  dims: number[];
  /** pixdim[1..dim[0]] (spacing, then TR for the 4th dimension) */
  spacing: number[];
  datatype: number;
  dataTypeName: string;
  bitpix: number;
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  calMin: number;
  calMax: number;
  qformCode: number;
  sformCode: number;
  quaternion: [number, number, number];
  qoffset: [number, number, number];
  /** 3x4 sform matrix rows */
  sform: [number[], number[], number[]];
  xyztUnits: number;
  intentCode: number;
  /** number of header extensions and their codes */
  extensions: Array<{ offset: number; size: number; code: number }>;
  /** text fields that may hold identifying text: present/absent only, never the value */
  hasDescrip: boolean;
  hasAuxFile: boolean;
  hasIntentName: boolean;
}

export interface NiftiProbe extends Omit<NiftiHeader, 'extensions'> {
  kind: 'nifti';
  compressed: boolean;
  extensionCodes: number[];
  dataBytes: number;
  fileBytes: number;
}

export interface NiftiLimits {
  /** maximum decompressed size (bytes); default 2 GiB */
  maxBytes?: number;
  /**
   * A .nii.gz whose header declares more than 256 MiB may declare at most this many times its compressed
   * size (default 1000). Label maps reach 250-950:1 (measured); deflate tops out at 1032:1 on constant data.
   */
  maxRatio?: number;
}

const MiB = 2 ** 20;
/** Declared sizes below this are never refused for their compression ratio. */
const ratioFloor = 256 * MiB;
/** Bytes a .nii.gz may hold past its declared voxel data (padding some writers add) before it is refused. */
const trailingAllowance = 1 * MiB;

function cstring(b: Uint8Array, offset: number, length: number): string {
  const slice = b.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return Buffer.from(end === -1 ? slice : slice.subarray(0, end))
    .toString('latin1')
    .trim();
}

/** Parses a NIfTI-1/2 header (and its extension list) from the first bytes of the (decompressed) file. */
export function parseNiftiHeader(bytes: Uint8Array): NiftiHeader {
  if (bytes.length < 4) throw new MediaError('TRUNCATED', 'The NIfTI file is shorter than its header.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little = true;
  let size = view.getInt32(0, true);
  if (size !== 348 && size !== 540) {
    size = view.getInt32(0, false);
    little = false;
  }
  if (size !== 348 && size !== 540) throw new MediaError('INVALID_HEADER', 'Not a NIfTI header (sizeof_hdr is neither 348 nor 540).');
  if (bytes.length < size) throw new MediaError('TRUNCATED', `The NIfTI file is shorter than its ${size}-byte header.`);
  const i16 = (o: number): number => view.getInt16(o, little);
  const i32 = (o: number): number => view.getInt32(o, little);
  const f32 = (o: number): number => view.getFloat32(o, little);
  const f64 = (o: number): number => view.getFloat64(o, little);
  const i64 = (o: number): number => Number(view.getBigInt64(o, little));
  let h: Omit<NiftiHeader, 'extensions'>;
  if (size === 348) {
    const magic = cstring(bytes, 344, 4);
    if (magic !== 'n+1' && magic !== 'ni1') throw new MediaError('INVALID_HEADER', 'NIfTI-1 magic is missing.');
    const ndim = i16(40);
    if (ndim < 1 || ndim > 7) throw new MediaError('INVALID_HEADER', `NIfTI dim[0] is ${ndim} (1..7 expected).`);
    const datatype = i16(70);
    h = {
      version: 1,
      littleEndian: little,
      headerSize: 348,
      dims: Array.from({ length: ndim }, (_, k) => i16(42 + 2 * k)),
      spacing: Array.from({ length: ndim }, (_, k) => f32(80 + 4 * k)),
      datatype,
      dataTypeName: niftiDataTypes[datatype]?.name ?? `unknown(${datatype})`,
      bitpix: i16(72),
      voxOffset: f32(108),
      sclSlope: f32(112),
      sclInter: f32(116),
      calMax: f32(124),
      calMin: f32(128),
      qformCode: i16(252),
      sformCode: i16(254),
      quaternion: [f32(256), f32(260), f32(264)],
      qoffset: [f32(268), f32(272), f32(276)],
      sform: [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => f32(280 + r * 16 + c * 4))) as [number[], number[], number[]],
      xyztUnits: bytes[123]!,
      intentCode: i16(68),
      hasDescrip: cstring(bytes, 148, 80) !== '',
      hasAuxFile: cstring(bytes, 228, 24) !== '',
      hasIntentName: cstring(bytes, 328, 16) !== '',
    };
  } else {
    const magic = cstring(bytes, 4, 8);
    if (!magic.startsWith('n+2') && !magic.startsWith('ni2')) throw new MediaError('INVALID_HEADER', 'NIfTI-2 magic is missing.');
    const ndim = i64(16);
    if (ndim < 1 || ndim > 7) throw new MediaError('INVALID_HEADER', `NIfTI dim[0] is ${ndim} (1..7 expected).`);
    const datatype = i16(12);
    h = {
      version: 2,
      littleEndian: little,
      headerSize: 540,
      dims: Array.from({ length: ndim }, (_, k) => i64(24 + 8 * k)),
      spacing: Array.from({ length: ndim }, (_, k) => f64(112 + 8 * k)),
      datatype,
      dataTypeName: niftiDataTypes[datatype]?.name ?? `unknown(${datatype})`,
      bitpix: i16(14),
      voxOffset: i64(168),
      sclSlope: f64(176),
      sclInter: f64(184),
      calMax: f64(192),
      calMin: f64(200),
      qformCode: i32(344),
      sformCode: i32(348),
      quaternion: [f64(352), f64(360), f64(368)],
      qoffset: [f64(376), f64(384), f64(392)],
      sform: [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => f64(400 + r * 32 + c * 8))) as [number[], number[], number[]],
      xyztUnits: i32(500),
      intentCode: i32(504),
      hasDescrip: cstring(bytes, 240, 80) !== '',
      hasAuxFile: cstring(bytes, 320, 24) !== '',
      hasIntentName: cstring(bytes, 508, 16) !== '',
    };
  }
  if (h.dims.some((d) => d < 0)) throw new MediaError('INVALID_HEADER', 'NIfTI dimensions must not be negative.');
  const extensions: NiftiHeader['extensions'] = [];
  if (bytes.length >= size + 4 && bytes[size] !== 0) {
    let o = size + 4;
    const end = Math.min(bytes.length, h.voxOffset || bytes.length);
    while (o + 8 <= end) {
      const esize = i32(o);
      const code = i32(o + 4);
      if (esize < 8 || esize % 16 !== 0 || o + esize > end) break;
      extensions.push({ offset: o, size: esize, code });
      o += esize;
    }
  }
  return { ...h, extensions };
}

export function voxelCount(h: Pick<NiftiHeader, 'dims'>): number {
  return h.dims.reduce((n, d) => n * Math.max(1, d), 1);
}

function dataBytesOf(h: NiftiHeader): number {
  return (voxelCount(h) * h.bitpix) / 8;
}

interface StreamLimits {
  maxBytes: number;
  maxRatio: number;
  keepAll: boolean;
}

/** The bytes a header says the file holds: header, extensions and voxel data. */
function declaredBytesOf(h: NiftiHeader): number {
  return h.voxOffset + dataBytesOf(h);
}

/**
 * Streams the file (gunzipping .nii.gz) and returns its first `headBytes` bytes and total decompressed size.
 * The header is checked as soon as it has arrived, so that a bomb is refused before it inflates: a header
 * that declares more than `maxBytes`, or (for .nii.gz) far more than its compressed size; and a .nii.gz
 * that inflates past what its header declares. Throws DECOMPRESSION_BOMB, INVALID_HEADER, or TRUNCATED
 * when the gzip stream ends early.
 */
async function streamHead(path: string, headBytes: number, limits: StreamLimits): Promise<{ head: Buffer; total: number; all?: Buffer }> {
  const { maxBytes, maxRatio, keepAll } = limits;
  const gz = path.toLowerCase().endsWith('.gz');
  const fileBytes = (await stat(path)).size;
  const source = createReadStream(path);
  const stream = gz ? source.pipe(createGunzip()) : source;
  const chunks: Buffer[] = [];
  let head = Buffer.alloc(0);
  let total = 0;
  let declared: number | undefined;
  const checkHeader = (): void => {
    const h = parseNiftiHeader(head);
    declared = declaredBytesOf(h);
    if (declared > maxBytes) {
      throw new MediaError('DECOMPRESSION_BOMB', `The NIfTI header declares ${declared} bytes of data, beyond the limit of ${maxBytes}.`, { limit: maxBytes, declared });
    }
    if (gz && declared > ratioFloor && declared > maxRatio * fileBytes) {
      throw new MediaError(
        'DECOMPRESSION_BOMB',
        `The NIfTI header declares ${declared} bytes from a ${fileBytes}-byte .nii.gz, more than ${maxRatio} times its compressed size; refused as a decompression bomb.`,
        { declared, compressedBytes: fileBytes, maxRatio },
      );
    }
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        throw new MediaError('DECOMPRESSION_BOMB', `The NIfTI data inflates beyond the limit of ${maxBytes} bytes.`, { limit: maxBytes });
      }
      if (head.length < headBytes) head = Buffer.concat([head, chunk.subarray(0, headBytes - head.length)]);
      // Both header sizes are known once 540 bytes are in (a NIfTI-1 header needs 348 of them).
      if (declared === undefined && head.length >= Math.min(540, headBytes)) checkHeader();
      if (gz && declared !== undefined && total > declared + trailingAllowance) {
        throw new MediaError('DECOMPRESSION_BOMB', `The .nii.gz inflates beyond the ${declared} bytes its header declares; refused as a decompression bomb.`, {
          declared,
          inflatedAtLeast: total,
        });
      }
      if (keepAll) chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof MediaError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' || /unexpected end/i.test(String(error))) {
      throw new MediaError('TRUNCATED', 'The gzip stream of this .nii.gz is corrupt or cut short.', {}, { cause: error });
    }
    throw error;
  } finally {
    source.destroy();
    if (stream !== source) stream.destroy();
  }
  if (declared === undefined) checkHeader();
  return { head, total, ...(keepAll ? { all: Buffer.concat(chunks) } : {}) };
}

function streamLimits(limits: NiftiLimits, keepAll: boolean): StreamLimits {
  return { maxBytes: limits.maxBytes ?? 2 * 2 ** 30, maxRatio: limits.maxRatio ?? 1000, keepAll };
}

/** Probes and validates a NIfTI file: header, declared data size against the file and the limit. */
export async function probeNifti(path: string, limits: NiftiLimits = {}): Promise<NiftiProbe> {
  const fileBytes = (await stat(path)).size;
  if (fileBytes === 0) throw new MediaError('EMPTY_FILE', 'The file is empty (0 bytes).');
  const { head, total } = await streamHead(path, 65536, streamLimits(limits, false));
  const h = parseNiftiHeader(head);
  const dataBytes = dataBytesOf(h);
  if (total < h.voxOffset + dataBytes) {
    throw new MediaError('TRUNCATED', `The NIfTI voxel data is short: ${total - h.voxOffset} of ${dataBytes} bytes present.`, {
      present: Math.max(0, total - h.voxOffset),
      expected: dataBytes,
    });
  }
  const { extensions, ...rest } = h;
  return { kind: 'nifti', ...rest, compressed: path.toLowerCase().endsWith('.gz'), extensionCodes: extensions.map((e) => e.code), dataBytes, fileBytes };
}

export interface NiftiVolume {
  header: NiftiHeader;
  /** the whole decompressed file */
  bytes: Buffer;
}

export async function readNifti(path: string, limits: NiftiLimits = {}): Promise<NiftiVolume> {
  const { all, head } = await streamHead(path, 65536, streamLimits(limits, true));
  const header = parseNiftiHeader(head);
  if (all!.length < header.voxOffset + dataBytesOf(header)) throw new MediaError('TRUNCATED', 'The NIfTI voxel data is shorter than the header declares.');
  return { header, bytes: all! };
}

function voxelReader(v: NiftiVolume): (i: number) => number {
  const h = v.header;
  const view = new DataView(v.bytes.buffer, v.bytes.byteOffset + h.voxOffset, v.bytes.byteLength - h.voxOffset);
  const le = h.littleEndian;
  switch (h.datatype) {
    case 2:
      return (i) => view.getUint8(i);
    case 256:
      return (i) => view.getInt8(i);
    case 4:
      return (i) => view.getInt16(i * 2, le);
    case 512:
      return (i) => view.getUint16(i * 2, le);
    case 8:
      return (i) => view.getInt32(i * 4, le);
    case 768:
      return (i) => view.getUint32(i * 4, le);
    case 16:
      return (i) => view.getFloat32(i * 4, le);
    case 64:
      return (i) => view.getFloat64(i * 8, le);
    case 1024:
      return (i) => Number(view.getBigInt64(i * 8, le));
    case 1280:
      return (i) => Number(view.getBigUint64(i * 8, le));
    default:
      throw new MediaError('UNSUPPORTED_FORMAT', `NIfTI data type ${h.dataTypeName} has no slice preview.`);
  }
}

/** A PNG of axial slice `z` (default: the middle) of volume `t`, windowed to the slice's value range (or cal_min/cal_max). */
export async function niftiSlicePng(v: NiftiVolume, options: { z?: number; t?: number } = {}): Promise<Buffer> {
  const [nx = 1, ny = 1, nz = 1, nt = 1] = v.header.dims;
  const z = options.z ?? Math.floor(nz / 2);
  const t = options.t ?? 0;
  if (z < 0 || z >= nz || t < 0 || t >= nt) throw new MediaError('INVALID_ARGUMENT', `Slice ${z} / volume ${t} is out of range.`);
  const read = voxelReader(v);
  const base = t * nx * ny * nz + z * nx * ny;
  const values = new Float64Array(nx * ny);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = read(base + i);
    values[i] = x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const useCal = v.header.calMax > v.header.calMin;
  const lo = useCal ? (v.header.calMin - v.header.sclInter) / (v.header.sclSlope || 1) : min;
  const hi = useCal ? (v.header.calMax - v.header.sclInter) / (v.header.sclSlope || 1) : max;
  const range = hi - lo || 1;
  const out = new Uint8Array(nx * ny);
  // NIfTI rows run from bottom (y = 0) to top; flip for display.
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const d = Math.round(((values[y * nx + x]! - lo) / range) * 255);
      out[(ny - 1 - y) * nx + x] = d < 0 ? 0 : d > 255 ? 255 : d;
    }
  }
  return sharp(out, { raw: { width: nx, height: ny, channels: 1 } })
    .png()
    .toBuffer();
}

export interface NiftiDeidReport {
  kind: 'nifti';
  changes: string[];
  needsHumanReview: boolean;
  reviewReasons: string[];
}

/** Clears descrip, aux_file, intent_name and drops every header extension; voxel data is copied unchanged. */
export async function deidentifyNifti(input: string, output: string, limits: NiftiLimits = {}): Promise<NiftiDeidReport> {
  const v = await readNifti(input, limits);
  const h = v.header;
  const src = v.bytes;
  const changes: string[] = [];
  const newVoxOffset = h.version === 1 ? 352 : 544;
  const header = Buffer.from(src.subarray(0, h.headerSize));
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const fields = h.version === 1 ? { descrip: [148, 80], aux: [228, 24], intent: [328, 16] } : { descrip: [240, 80], aux: [320, 24], intent: [508, 16] };
  if (h.hasDescrip) changes.push('descrip: emptied');
  if (h.hasAuxFile) changes.push('aux_file: emptied');
  if (h.hasIntentName) changes.push('intent_name: emptied');
  for (const [o, n] of Object.values(fields)) header.fill(0, o!, o! + n!);
  if (h.version === 1) view.setFloat32(108, newVoxOffset, h.littleEndian);
  else view.setBigInt64(168, BigInt(newVoxOffset), h.littleEndian);
  if (h.extensions.length > 0) changes.push(`header extensions: ${h.extensions.length} removed (codes ${h.extensions.map((e) => e.code).join(', ')})`);
  const data = src.subarray(h.voxOffset, h.voxOffset + dataBytesOf(h));
  const out = Buffer.concat([header, Buffer.alloc(4), data]);
  await writeFile(output, output.toLowerCase().endsWith('.gz') ? gzipSync(out) : out);
  return { kind: 'nifti', changes, needsHumanReview: false, reviewReasons: [] };
}
