// A byte-faithful DICOM Part 10 reader and writer: every element keeps its raw value bytes, so that
// de-identification changes only what it means to change. Handles explicit/implicit VR, big endian,
// deflate (inflated with size and ratio bounds), undefined lengths, encapsulated pixel data, UN elements
// that hold implicit-VR sequences, raw data sets without File Meta, and DICOMDIR record offsets.
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { MediaError } from '../errors.ts';
import { T, formatTag, groupOf, elementOf, tagOf, vrOf } from './dictionary.ts';

export const TS = {
  ImplicitLE: '1.2.840.10008.1.2',
  ExplicitLE: '1.2.840.10008.1.2.1',
  DeflatedLE: '1.2.840.10008.1.2.1.99',
  ExplicitBE: '1.2.840.10008.1.2.2',
} as const;

/**
 * Transfer syntaxes whose whole data set after the File Meta is deflated (PS3.5 A.5, A.7, A.12). Deflated
 * Image Frame Compression (1.2.840.10008.1.2.8.1) is not one of them: there only each frame is deflated.
 */
export const deflatedDataSetSyntaxes: ReadonlySet<string> = new Set([TS.DeflatedLE, '1.2.840.10008.1.2.4.95', '1.2.840.10008.1.2.4.205']);

/** A DICOM element. Exactly one of value / items / fragments is set. */
export interface DicomElement {
  tag: number;
  vr: string;
  /** raw value bytes in the data set's byte order */
  value?: Uint8Array;
  /** sequence items (VR SQ, or UN holding a sequence) */
  items?: DicomDataset[];
  /** encapsulated pixel data: the Basic Offset Table first, then the fragments */
  fragments?: Uint8Array[];
}

/** Elements by tag; the writer sorts them. */
export type DicomDataset = Map<number, DicomElement>;

export interface DicomFile {
  meta: DicomDataset;
  dataset: DicomDataset;
  transferSyntaxUID: string;
  /** false for a raw data set without preamble and File Meta (read as Implicit VR Little Endian) */
  hadFileMeta: boolean;
  littleEndian: boolean;
  explicitVR: boolean;
  deflated: boolean;
  /** With stopAtPixelData: where the Pixel Data element starts in the file's bytes (absent for deflated files). */
  pixelDataOffset?: number;
}

export interface ReadOptions {
  /** Maximum inflated size of a Deflate transfer syntax data set (bytes). Default 512 MiB. */
  maxInflatedBytes?: number;
  /**
   * Beyond the first 16 MiB, a deflated data set may inflate at most this many times the compressed bytes
   * read so far (default 200). Deflate reaches 1032:1 on constant data; real images stay far below 200:1.
   */
  maxInflateRatio?: number;
  /** Stop reading at the Pixel Data element (for header-only probes). */
  stopAtPixelData?: boolean;
}

const longLengthVRs = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const allVRs = new Set([...longLengthVRs, 'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US']);
const UNDEFINED = 0xffffffff;
const MiB = 2 ** 20;
/** Output below this size is never refused for its compression ratio. */
const inflateRatioFloor = 16 * MiB;

const DirectoryRecordSequence = tagOf(0x0004, 0x1220);
/** DICOMDIR offsets (PS3.3 F.3): of the first and last root records, and in each record of the next and lower-level records. */
const rootOffsetTags: ReadonlySet<number> = new Set([tagOf(0x0004, 0x1200), tagOf(0x0004, 0x1202)]);
const recordOffsetTags: ReadonlySet<number> = new Set([tagOf(0x0004, 0x1400), tagOf(0x0004, 0x1420), tagOf(0x0004, 0x1504)]);
/** Where each directory record (an item of (0004,1220)) started in the file it was read from: what DICOMDIR offsets point at. */
const recordStarts = new WeakMap<DicomDataset, number>();
/** The same starts by position in the sequence, for records that a caller replaced by new objects. */
const recordStartsBySequence = new WeakMap<DicomElement, number[]>();

interface Syntax {
  little: boolean;
  explicit: boolean;
}

class Reader {
  readonly view: DataView;
  pos = 0;
  /** `fileOffsets`: positions in `bytes` are byte offsets in the file (false for an inflated data set). */
  constructor(
    readonly bytes: Uint8Array,
    readonly fileOffsets = true,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
  need(n: number, tag?: number): void {
    if (this.remaining < n) {
      const where = tag === undefined ? '' : ` in element ${formatTag(tag)}`;
      throw new MediaError('TRUNCATED', `The DICOM file ends early${where}: ${n} bytes needed at offset ${this.pos}, ${this.remaining} left.`, {
        offset: this.pos,
        ...(tag === undefined ? {} : { tag: formatTag(tag) }),
      });
    }
  }
  u16(little: boolean): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, little);
    this.pos += 2;
    return v;
  }
  u32(little: boolean): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, little);
    this.pos += 4;
    return v;
  }
  ascii(n: number): string {
    this.need(n);
    const s = String.fromCharCode(...this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  take(n: number, tag: number): Uint8Array {
    this.need(n, tag);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

function readTag(r: Reader, little: boolean): number {
  const g = r.u16(little);
  const e = r.u16(little);
  return tagOf(g, e);
}

function readHeader(r: Reader, s: Syntax): { tag: number; vr: string; length: number } {
  const tag = readTag(r, s.little);
  if (groupOf(tag) === 0xfffe) return { tag, vr: '', length: r.u32(s.little) };
  if (!s.explicit) {
    const length = r.u32(s.little);
    return { tag, vr: vrOf(tag) ?? (length === UNDEFINED ? 'SQ' : 'UN'), length };
  }
  const vr = r.ascii(2);
  if (!/^[A-Z]{2}$/.test(vr)) {
    throw new MediaError('INVALID_HEADER', `Element ${formatTag(tag)} has an invalid VR at offset ${r.pos - 2}.`, { tag: formatTag(tag), offset: r.pos - 2 });
  }
  if (longLengthVRs.has(vr)) {
    r.pos += 2;
    return { tag, vr, length: r.u32(s.little) };
  }
  return { tag, vr, length: r.u16(s.little) };
}

function readItems(r: Reader, s: Syntax, length: number, seqTag: number, depth: number): DicomDataset[] {
  if (depth > 32) throw new MediaError('INVALID_SEQUENCE', `Sequence ${formatTag(seqTag)} is nested too deeply.`, { tag: formatTag(seqTag) });
  const items: DicomDataset[] = [];
  const end = length === UNDEFINED ? Infinity : r.pos + length;
  if (end !== Infinity && end > r.bytes.length) r.need(length, seqTag);
  while (r.pos < end) {
    if (end === Infinity && r.remaining === 0) {
      throw new MediaError('TRUNCATED', `The file ends inside sequence ${formatTag(seqTag)} (no sequence delimiter).`, { tag: formatTag(seqTag) });
    }
    const itemStart = r.pos;
    const itemTag = readTag(r, s.little);
    const itemLength = r.u32(s.little);
    if (itemTag === T.SequenceDelimitation) {
      if (end !== Infinity) throw new MediaError('INVALID_SEQUENCE', `Sequence ${formatTag(seqTag)} has a delimiter inside a defined length.`, { tag: formatTag(seqTag) });
      return items;
    }
    if (itemTag !== T.Item) {
      throw new MediaError('INVALID_SEQUENCE', `Sequence ${formatTag(seqTag)} holds ${formatTag(itemTag)} where an item was expected.`, {
        tag: formatTag(seqTag),
        offset: r.pos - 8,
      });
    }
    const itemEnd = itemLength === UNDEFINED ? Infinity : r.pos + itemLength;
    if (itemEnd !== Infinity && (itemEnd > end || itemEnd > r.bytes.length)) {
      throw new MediaError('INVALID_SEQUENCE', `An item of sequence ${formatTag(seqTag)} is longer than its sequence or the file.`, { tag: formatTag(seqTag) });
    }
    const item = readDataset(r, s, itemEnd, depth + 1, false, seqTag);
    if (seqTag === DirectoryRecordSequence && depth === 0 && r.fileOffsets) recordStarts.set(item, itemStart);
    items.push(item);
  }
  if (end !== Infinity && r.pos !== end) {
    throw new MediaError('INVALID_SEQUENCE', `Items of sequence ${formatTag(seqTag)} overrun its length.`, { tag: formatTag(seqTag) });
  }
  return items;
}

function readFragments(r: Reader, s: Syntax, tag: number): Uint8Array[] {
  const fragments: Uint8Array[] = [];
  for (;;) {
    if (r.remaining < 8) {
      throw new MediaError('TRUNCATED', `The file ends inside the encapsulated Pixel Data ${formatTag(tag)} (no sequence delimiter).`, { tag: formatTag(tag) });
    }
    const itemTag = readTag(r, s.little);
    const length = r.u32(s.little);
    if (itemTag === T.SequenceDelimitation) return fragments;
    if (itemTag !== T.Item) {
      throw new MediaError('INVALID_SEQUENCE', `Encapsulated Pixel Data holds ${formatTag(itemTag)} where a fragment was expected.`, { tag: formatTag(tag) });
    }
    if (length > r.remaining) {
      throw new MediaError('TRUNCATED', `The file ends inside a Pixel Data fragment (${length} bytes declared, ${r.remaining} present).`, {
        tag: formatTag(tag),
        declared: length,
        present: r.remaining,
      });
    }
    fragments.push(r.take(length, tag));
  }
}

function readDataset(r: Reader, s: Syntax, end: number, depth: number, stopAtPixelData: boolean, parentTag?: number): DicomDataset {
  const ds: DicomDataset = new Map();
  while (r.pos < end && r.remaining > 0) {
    const start = r.pos;
    const { tag, vr, length } = readHeader(r, s);
    if (tag === T.ItemDelimitation) {
      if (end !== Infinity)
        throw new MediaError('INVALID_SEQUENCE', 'An item delimiter appears inside a defined-length item.', parentTag === undefined ? {} : { tag: formatTag(parentTag) });
      return ds;
    }
    if (groupOf(tag) === 0xfffe) {
      throw new MediaError('INVALID_SEQUENCE', `Unexpected ${formatTag(tag)} at offset ${start}.`, { offset: start });
    }
    if (stopAtPixelData && tag === T.PixelData) {
      r.pos = start;
      return ds;
    }
    if (vr === 'SQ' || (vr === 'UN' && (length === UNDEFINED || vrOf(tag) === 'SQ'))) {
      // PS3.5 6.2.2: a UN element of undefined length (or one the dictionary knows as SQ) holds an
      // Implicit VR Little Endian sequence.
      const inner: Syntax = vr === 'UN' ? { little: true, explicit: false } : s;
      const itemsStart = r.pos;
      try {
        const el: DicomElement = { tag, vr: 'SQ', items: readItems(r, inner, length, tag, depth) };
        if (tag === DirectoryRecordSequence && depth === 0 && r.fileOffsets)
          recordStartsBySequence.set(
            el,
            el.items!.map((item) => recordStarts.get(item)!),
          );
        ds.set(tag, el);
      } catch (error) {
        if (vr === 'UN' && length !== UNDEFINED && error instanceof MediaError && error.code !== 'TRUNCATED') {
          // A defined-length UN that is not a sequence after all: keep its bytes as they are.
          r.pos = itemsStart;
          ds.set(tag, { tag, vr, value: r.take(length, tag) });
        } else {
          throw error instanceof MediaError && error.code === 'INVALID_SEQUENCE' && vr === 'UN'
            ? new MediaError('INVALID_SEQUENCE', `Element ${formatTag(tag)} (VR UN) is neither a valid sequence nor a defined-length value.`, { tag: formatTag(tag) })
            : error;
        }
      }
      continue;
    }
    if (length === UNDEFINED) {
      if (tag === T.PixelData || vr === 'OB' || vr === 'OW') {
        ds.set(tag, { tag, vr: vr === 'OW' ? 'OB' : vr, fragments: readFragments(r, s, tag) });
        continue;
      }
      throw new MediaError('INVALID_HEADER', `Element ${formatTag(tag)} (VR ${vr}) has an undefined length.`, { tag: formatTag(tag) });
    }
    ds.set(tag, { tag, vr, value: r.take(length, tag) });
  }
  if (end !== Infinity && r.pos > end) {
    throw new MediaError('INVALID_SEQUENCE', 'An element overruns the item that contains it.', parentTag === undefined ? {} : { tag: formatTag(parentTag) });
  }
  return ds;
}

export function textOf(el: DicomElement | undefined): string | undefined {
  if (!el?.value) return undefined;
  const v = el.value;
  // Trim by hand: a regex on trailing NULs is quadratic on long binary runs of zeros.
  let end = v.length;
  while (end > 0 && (v[end - 1] === 0 || v[end - 1] === 0x20)) end--;
  let start = 0;
  while (start < end && v[start] === 0x20) start++;
  return Buffer.from(v.buffer, v.byteOffset + start, end - start).toString('latin1');
}

/**
 * Reads group 0002 (always Explicit VR Little Endian). The group ends where its group length says when
 * the data set that follows is deflated, whose first bytes may look like a group 0002 tag; otherwise a
 * wrong group length is tolerated and the group runs while tags say 0002.
 */
function readMeta(r: Reader): DicomDataset {
  const meta: DicomDataset = new Map();
  const metaSyntax: Syntax = { little: true, explicit: true };
  let end = Infinity;
  while (r.remaining >= 6 && r.view.getUint16(r.pos, true) === 0x0002 && allVRs.has(String.fromCharCode(r.bytes[r.pos + 4]!, r.bytes[r.pos + 5]!))) {
    if (r.pos >= end && deflatedDataSetSyntaxes.has(textOf(meta.get(T.TransferSyntaxUID)) ?? '')) break;
    const { tag, vr, length } = readHeader(r, metaSyntax);
    const el: DicomElement = { tag, vr, value: r.take(length, tag) };
    meta.set(tag, el);
    if (tag === T.FileMetaInformationGroupLength && length === 4) end = r.pos + new DataView(el.value!.buffer, el.value!.byteOffset, 4).getUint32(0, true);
  }
  return meta;
}

/**
 * How far a raw data set parses under a syntax: the number of leading elements (up to 64) whose tags
 * ascend, whose VRs are real VRs and whose values fit in the file.
 */
function rawParseScore(bytes: Uint8Array, s: Syntax): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let last = -1;
  let count = 0;
  while (count < 64 && pos + 8 <= bytes.length) {
    const tag = tagOf(view.getUint16(pos, s.little), view.getUint16(pos + 2, s.little));
    if (tag <= last || groupOf(tag) === 0xfffe || groupOf(tag) === 0) break;
    let length: number;
    if (!s.explicit) {
      length = view.getUint32(pos + 4, s.little);
      pos += 8;
    } else {
      const vr = String.fromCharCode(bytes[pos + 4]!, bytes[pos + 5]!);
      if (!allVRs.has(vr)) break;
      if (longLengthVRs.has(vr)) {
        if (pos + 12 > bytes.length) break;
        length = view.getUint32(pos + 8, s.little);
        pos += 12;
      } else {
        length = view.getUint16(pos + 6, s.little);
        pos += 8;
      }
    }
    count++;
    // A sequence or encapsulated pixel data of undefined length: parsing got this far, which is enough.
    if (length === UNDEFINED) break;
    if (pos + length > bytes.length) {
      count--;
      break;
    }
    pos += length;
    last = tag;
  }
  return count + (pos === bytes.length ? 1 : 0);
}

/**
 * The encoding of a data set that has no File Meta to state it: Implicit VR Little Endian, Explicit VR
 * Little Endian or Explicit VR Big Endian, whichever parses the furthest (ties go to the first).
 */
function sniffRawSyntax(bytes: Uint8Array): Syntax {
  const candidates: Syntax[] = [
    { little: true, explicit: true },
    { little: true, explicit: false },
    { little: false, explicit: true },
  ];
  let best = candidates[1]!;
  let bestScore = -1;
  for (const s of candidates) {
    const score = rawParseScore(bytes.subarray(0, 1 * MiB), s);
    if (score > bestScore) [best, bestScore] = [s, score];
  }
  return best;
}

/**
 * Inflates a deflated data set a growing prefix at a time (64 KiB, then 4x more each round; about a third
 * more work than one pass), so that a bomb is refused after inflating at most max(16 MiB, ratio x the
 * prefix) bytes instead of all of it: past the cap, or past `maxRatio` times the compressed bytes read.
 */
function inflateBounded(deflated: Uint8Array, cap: number, maxRatio: number): Uint8Array {
  let read = Math.min(deflated.length, 64 * 1024);
  for (;;) {
    const final = read >= deflated.length;
    const allowed = Math.min(cap, Math.max(inflateRatioFloor, maxRatio * read));
    let out: Buffer;
    try {
      out = inflateRawSync(deflated.subarray(0, read), {
        maxOutputLength: allowed,
        chunkSize: 64 * 1024,
        // A prefix ends mid-stream: return what it inflates to instead of failing.
        finishFlush: final ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
        if (allowed === cap) throw new MediaError('DECOMPRESSION_BOMB', `The deflated DICOM data set inflates beyond the limit of ${cap} bytes.`, { limit: cap });
        throw new MediaError(
          'DECOMPRESSION_BOMB',
          `The deflated DICOM data set inflates more than ${maxRatio} times its compressed size (over ${allowed} bytes from its first ${read}); refused as a decompression bomb.`,
          { limit: allowed, compressedBytes: read, maxRatio },
        );
      }
      throw new MediaError('TRUNCATED', 'The deflated DICOM data set is corrupt or cut short.', {}, { cause: error });
    }
    if (final) return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    read = Math.min(deflated.length, read * 4);
  }
}

/** Reads a DICOM Part 10 file, or a raw data set without preamble and File Meta (its encoding sniffed). */
export function readDicom(bytes: Uint8Array, options: ReadOptions = {}): DicomFile {
  if (bytes.length === 0) throw new MediaError('EMPTY_FILE', 'The file is empty (0 bytes).');
  const hasPreamble = bytes.length >= 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM';
  const r = new Reader(bytes);
  let meta: DicomDataset = new Map();
  let hadFileMeta = false;
  if (hasPreamble) {
    r.pos = 132;
    hadFileMeta = true;
    meta = readMeta(r);
  } else if (bytes.length >= 6 && r.view.getUint16(0, true) === 0x0002 && allVRs.has(String.fromCharCode(bytes[4]!, bytes[5]!))) {
    // File Meta without the 128-byte preamble.
    hadFileMeta = true;
    meta = readMeta(r);
  }
  if (hadFileMeta && !meta.has(T.TransferSyntaxUID)) {
    throw new MediaError('INVALID_HEADER', 'The File Meta Information has no Transfer Syntax UID (0002,0010).');
  }
  const syntax: Syntax = hadFileMeta ? { little: true, explicit: true } : sniffRawSyntax(bytes);
  const transferSyntaxUID = hadFileMeta ? textOf(meta.get(T.TransferSyntaxUID))! : syntax.explicit ? (syntax.little ? TS.ExplicitLE : TS.ExplicitBE) : TS.ImplicitLE;
  if (hadFileMeta) {
    syntax.little = transferSyntaxUID !== TS.ExplicitBE;
    syntax.explicit = transferSyntaxUID !== TS.ImplicitLE;
  }
  const deflated = deflatedDataSetSyntaxes.has(transferSyntaxUID);
  const body = deflated ? new Reader(inflateBounded(bytes.subarray(r.pos), options.maxInflatedBytes ?? 512 * MiB, options.maxInflateRatio ?? 200), false) : r;
  const dataset = readDataset(body, syntax, Infinity, 0, options.stopAtPixelData ?? false);
  return {
    meta,
    dataset,
    transferSyntaxUID,
    hadFileMeta,
    littleEndian: syntax.little,
    explicitVR: syntax.explicit,
    deflated,
    // The reader stops before Pixel Data with bytes left; past the end it read the whole data set.
    ...(options.stopAtPixelData && !deflated && body.remaining > 0 ? { pixelDataOffset: body.pos } : {}),
  };
}

// ---------------------------------------------------------------- writing

class Writer {
  chunks: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u16(v: number, little: boolean): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, little);
    this.push(b);
  }
  u32(v: number, little: boolean): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, little);
    this.push(b);
  }
  tag(tag: number, little: boolean): void {
    this.u16(groupOf(tag), little);
    this.u16(elementOf(tag), little);
  }
  ascii(s: string): void {
    this.push(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function sortedElements(ds: DicomDataset): DicomElement[] {
  return [...ds.values()].sort((a, b) => a.tag - b.tag);
}

function writeHeader(w: Writer, s: Syntax, tag: number, vr: string, length: number): void {
  w.tag(tag, s.little);
  if (!s.explicit) {
    w.u32(length, s.little);
    return;
  }
  w.ascii(vr);
  if (longLengthVRs.has(vr)) {
    w.u16(0, s.little);
    w.u32(length, s.little);
  } else {
    if (length > 0xffff) throw new MediaError('INVALID_ARGUMENT', `Value of ${formatTag(tag)} is too long for VR ${vr}.`);
    w.u16(length, s.little);
  }
}

/** Where directory records land in the bytes written, and the offset values that must point at them. */
interface DirectoryLayout {
  recordPositions: Map<DicomDataset, number>;
  links: Array<{ tag: number; value: Uint8Array }>;
}

/** `scope` says which DICOMDIR offsets this data set may hold: the root's, a record's, or none. */
function writeDataset(w: Writer, s: Syntax, ds: DicomDataset, layout?: DirectoryLayout, scope?: 'root' | 'record'): void {
  for (const el of sortedElements(ds)) {
    // Group lengths go stale when values change; they are optional outside File Meta.
    if (elementOf(el.tag) === 0 && groupOf(el.tag) !== 0x0002) continue;
    if (el.items) {
      const records = layout && scope === 'root' && el.tag === DirectoryRecordSequence;
      writeHeader(w, s, el.tag, 'SQ', UNDEFINED);
      for (const item of el.items) {
        if (records) layout.recordPositions.set(item, w.length);
        w.tag(T.Item, s.little);
        w.u32(UNDEFINED, s.little);
        writeDataset(w, s, item, records ? layout : undefined, records ? 'record' : undefined);
        w.tag(T.ItemDelimitation, s.little);
        w.u32(0, s.little);
      }
      w.tag(T.SequenceDelimitation, s.little);
      w.u32(0, s.little);
    } else if (el.fragments) {
      writeHeader(w, s, el.tag, 'OB', UNDEFINED);
      for (const f of el.fragments) {
        w.tag(T.Item, s.little);
        w.u32(f.length, s.little);
        w.push(f);
      }
      w.tag(T.SequenceDelimitation, s.little);
      w.u32(0, s.little);
    } else {
      let value = el.value ?? new Uint8Array(0);
      if (value.length % 2 === 1) {
        const padded = new Uint8Array(value.length + 1);
        padded.set(value);
        padded[value.length] = el.vr === 'UI' || el.vr === 'OB' || el.vr === 'UN' ? 0 : 0x20;
        value = padded;
      }
      const offsetTags = scope === 'root' ? rootOffsetTags : scope === 'record' ? recordOffsetTags : undefined;
      if (layout && offsetTags?.has(el.tag) && value.length === 4) {
        // A copy, patched once every record's position is known; the element keeps the value it was read with.
        value = new Uint8Array(value);
        layout.links.push({ tag: el.tag, value });
      }
      writeHeader(w, s, el.tag, el.vr, value.length);
      w.push(value);
    }
  }
}

/**
 * Points every DICOMDIR offset at where its record was written (`base`: the file offset of the data set).
 * Offsets name records by where they started in the file as read; a record that is gone, or an offset
 * that pointed at no record, cannot be translated, and writing refuses rather than leave it dangling.
 */
function resolveDirectoryOffsets(ds: DicomDataset, layout: DirectoryLayout, base: number, little: boolean): void {
  const sequence = ds.get(DirectoryRecordSequence);
  const records = sequence?.items ?? [];
  const startsByIndex = sequence ? recordStartsBySequence.get(sequence) : undefined;
  const byStart = new Map<number, DicomDataset>();
  records.forEach((record, i) => {
    const start = recordStarts.get(record) ?? (startsByIndex?.length === records.length ? startsByIndex[i] : undefined);
    if (start !== undefined) byStart.set(start, record);
  });
  for (const { tag, value } of layout.links) {
    const view = new DataView(value.buffer, value.byteOffset, 4);
    const start = view.getUint32(0, little);
    if (start === 0) continue;
    const record = byStart.get(start);
    const position = record && layout.recordPositions.get(record);
    if (position === undefined) {
      throw new MediaError(
        'INVALID_SEQUENCE',
        `DICOMDIR offset ${formatTag(tag)} points at byte ${start}, where no directory record of this data set started; the directory cannot be written with valid offsets.`,
        { tag: formatTag(tag), offset: start },
      );
    }
    view.setUint32(0, base + position, little);
  }
}

export interface WriteOptions {
  /** Write with this transfer syntax instead of the file's own (only between uncompressed syntaxes). */
  transferSyntaxUID?: string;
}

export const implementationClassUID = '2.25.178417009613383524426911006212536880113';
export const implementationVersionName = 'SUTURE_MEDIA_1';

/**
 * Serialises a DicomFile as Part 10 (preamble, File Meta rebuilt with a fresh group length). A DICOMDIR's
 * record offsets are recomputed from where its records land in the bytes written.
 */
export function writeDicom(file: DicomFile, options: WriteOptions = {}): Uint8Array {
  const tsUID = options.transferSyntaxUID ?? file.transferSyntaxUID;
  const meta: DicomDataset = new Map(file.meta);
  meta.delete(T.FileMetaInformationGroupLength);
  meta.set(T.FileMetaInformationVersion, { tag: T.FileMetaInformationVersion, vr: 'OB', value: new Uint8Array([0, 1]) });
  meta.set(T.TransferSyntaxUID, { tag: T.TransferSyntaxUID, vr: 'UI', value: encodeText(tsUID) });
  const sopClass = file.dataset.get(T.SOPClassUID);
  const sopInstance = file.dataset.get(T.SOPInstanceUID);
  if (sopClass?.value) meta.set(T.MediaStorageSOPClassUID, { tag: T.MediaStorageSOPClassUID, vr: 'UI', value: sopClass.value });
  if (sopInstance?.value) meta.set(T.MediaStorageSOPInstanceUID, { tag: T.MediaStorageSOPInstanceUID, vr: 'UI', value: sopInstance.value });
  meta.set(T.ImplementationClassUID, { tag: T.ImplementationClassUID, vr: 'UI', value: encodeText(implementationClassUID) });
  meta.set(T.ImplementationVersionName, { tag: T.ImplementationVersionName, vr: 'SH', value: encodeText(implementationVersionName) });
  const metaWriter = new Writer();
  writeDataset(metaWriter, { little: true, explicit: true }, meta);
  const metaBytes = metaWriter.concat();

  const syntax: Syntax = { little: tsUID !== TS.ExplicitBE, explicit: tsUID !== TS.ImplicitLE };
  if (syntax.little !== file.littleEndian) {
    throw new MediaError('INVALID_ARGUMENT', 'Changing byte order on write is not supported.');
  }
  const body = new Writer();
  const deflate = deflatedDataSetSyntaxes.has(tsUID);
  // DICOMDIR offsets count bytes from the start of the file, so they only exist in a data set written as is.
  const layout: DirectoryLayout | undefined = file.dataset.has(DirectoryRecordSequence) && !deflate ? { recordPositions: new Map(), links: [] } : undefined;
  writeDataset(body, syntax, file.dataset, layout, 'root');
  // Preamble, "DICM", the File Meta group length element, then the File Meta.
  if (layout) resolveDirectoryOffsets(file.dataset, layout, 128 + 4 + 12 + metaBytes.length, syntax.little);
  let bodyBytes = body.concat();
  if (deflate) bodyBytes = new Uint8Array(deflateRawSync(bodyBytes));

  const out = new Writer();
  out.push(new Uint8Array(128));
  out.ascii('DICM');
  writeHeader(out, { little: true, explicit: true }, T.FileMetaInformationGroupLength, 'UL', 4);
  out.u32(metaBytes.length, true);
  out.push(metaBytes);
  out.push(bodyBytes);
  return out.concat();
}

export function encodeText(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

// ---------------------------------------------------------------- typed access

export function stringOf(ds: DicomDataset, tag: number): string | undefined {
  return textOf(ds.get(tag));
}

export function stringsOf(ds: DicomDataset, tag: number): string[] {
  const s = stringOf(ds, tag);
  return s === undefined || s === '' ? [] : s.split('\\').map((v) => v.trim());
}

export function numbersOf(ds: DicomDataset, tag: number, little = true): number[] {
  const el = ds.get(tag);
  if (!el?.value) return [];
  const v = el.value;
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const out: number[] = [];
  const step = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8 }[el.vr];
  if (step) {
    for (let o = 0; o + step <= v.length; o += step) {
      switch (el.vr) {
        case 'US':
          out.push(view.getUint16(o, little));
          break;
        case 'SS':
          out.push(view.getInt16(o, little));
          break;
        case 'UL':
          out.push(view.getUint32(o, little));
          break;
        case 'SL':
          out.push(view.getInt32(o, little));
          break;
        case 'FL':
          out.push(view.getFloat32(o, little));
          break;
        case 'FD':
          out.push(view.getFloat64(o, little));
          break;
      }
    }
    return out;
  }
  return stringsOf(ds, tag)
    .map(Number)
    .filter((n) => Number.isFinite(n));
}

export function numberOf(ds: DicomDataset, tag: number, little = true): number | undefined {
  return numbersOf(ds, tag, little)[0];
}

export function setString(ds: DicomDataset, tag: number, vr: string, value: string): void {
  ds.set(tag, { tag, vr, value: encodeText(value) });
}

export function setUint16(ds: DicomDataset, tag: number, value: number, little = true): void {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, value, little);
  ds.set(tag, { tag, vr: 'US', value: b });
}

/** Visits every element depth-first, sequences included; `path` names the element like (0040,0275)[0].(0040,0009). */
export function walk(ds: DicomDataset, visit: (el: DicomElement, path: string, parent: DicomDataset) => void, prefix = ''): void {
  for (const el of sortedElements(ds)) {
    const path = `${prefix}${formatTag(el.tag)}`;
    visit(el, path, ds);
    el.items?.forEach((item, i) => walk(item, visit, `${path}[${i}].`));
  }
}
