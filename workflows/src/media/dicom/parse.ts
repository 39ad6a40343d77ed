// A byte-faithful DICOM Part 10 reader and writer: every element keeps its raw value bytes, so that
// de-identification changes only what it means to change. Handles explicit/implicit VR, big endian,
// deflate, undefined lengths, encapsulated pixel data, and UN elements that hold implicit-VR sequences.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { MediaError } from '../errors.ts';
import { T, formatTag, groupOf, elementOf, tagOf, vrOf } from './dictionary.ts';

export const TS = {
  ImplicitLE: '1.2.840.10008.1.2',
  ExplicitLE: '1.2.840.10008.1.2.1',
  DeflatedLE: '1.2.840.10008.1.2.1.99',
  ExplicitBE: '1.2.840.10008.1.2.2',
} as const;

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
  /** Stop reading at the Pixel Data element (for header-only probes). */
  stopAtPixelData?: boolean;
}

const longLengthVRs = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;

interface Syntax {
  little: boolean;
  explicit: boolean;
}

class Reader {
  readonly view: DataView;
  pos = 0;
  constructor(readonly bytes: Uint8Array) {
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
    items.push(readDataset(r, s, itemEnd, depth + 1, false, seqTag));
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
        ds.set(tag, { tag, vr: 'SQ', items: readItems(r, inner, length, tag, depth) });
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

/** Reads a DICOM Part 10 file (or a raw Implicit VR LE data set without File Meta). */
export function readDicom(bytes: Uint8Array, options: ReadOptions = {}): DicomFile {
  if (bytes.length === 0) throw new MediaError('EMPTY_FILE', 'The file is empty (0 bytes).');
  const hasPreamble = bytes.length >= 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM';
  const r = new Reader(bytes);
  const meta: DicomDataset = new Map();
  let hadFileMeta = false;
  if (hasPreamble) {
    r.pos = 132;
    hadFileMeta = true;
    // File Meta is always Explicit VR Little Endian; read group 0002 only.
    const metaSyntax: Syntax = { little: true, explicit: true };
    while (r.remaining >= 4 && r.view.getUint16(r.pos, true) === 0x0002) {
      const { tag, vr, length } = readHeader(r, metaSyntax);
      meta.set(tag, { tag, vr, value: r.take(length, tag) });
    }
  } else if (bytes.length >= 6 && r.view.getUint16(0, true) === 0x0002 && /^[A-Z]{2}$/.test(String.fromCharCode(bytes[4]!, bytes[5]!))) {
    // File Meta without the 128-byte preamble.
    hadFileMeta = true;
    const metaSyntax: Syntax = { little: true, explicit: true };
    while (r.remaining >= 4 && r.view.getUint16(r.pos, true) === 0x0002) {
      const { tag, vr, length } = readHeader(r, metaSyntax);
      meta.set(tag, { tag, vr, value: r.take(length, tag) });
    }
  }
  const transferSyntaxUID = hadFileMeta ? (textOf(meta.get(T.TransferSyntaxUID)) ?? TS.ExplicitLE) : TS.ImplicitLE;
  if (hadFileMeta && !meta.has(T.TransferSyntaxUID)) {
    throw new MediaError('INVALID_HEADER', 'The File Meta Information has no Transfer Syntax UID (0002,0010).');
  }
  const deflated = transferSyntaxUID === TS.DeflatedLE || transferSyntaxUID === '1.2.840.10008.1.2.8.1';
  const syntax: Syntax = {
    little: transferSyntaxUID !== TS.ExplicitBE,
    explicit: transferSyntaxUID !== TS.ImplicitLE,
  };
  let body = r;
  if (deflated) {
    const limit = options.maxInflatedBytes ?? 512 * 2 ** 20;
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(bytes.subarray(r.pos), { maxOutputLength: limit });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
        throw new MediaError('DECOMPRESSION_BOMB', `The deflated DICOM data set inflates beyond the limit of ${limit} bytes.`, { limit });
      }
      throw new MediaError('TRUNCATED', 'The deflated DICOM data set is corrupt or cut short.', {}, { cause: error });
    }
    body = new Reader(new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength));
  }
  if (!hadFileMeta && body.remaining >= 8) {
    // A raw data set may be Explicit VR Little Endian too: sniff the VR of the first element.
    const vr = String.fromCharCode(bytes[4]!, bytes[5]!);
    if (/^[A-Z]{2}$/.test(vr) && vrOf(tagOf(body.view.getUint16(0, true), body.view.getUint16(2, true))) === vr) syntax.explicit = true;
  }
  const dataset = readDataset(body, syntax, Infinity, 0, options.stopAtPixelData ?? false);
  return {
    meta,
    dataset,
    transferSyntaxUID: hadFileMeta ? transferSyntaxUID : syntax.explicit ? TS.ExplicitLE : TS.ImplicitLE,
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

function writeDataset(w: Writer, s: Syntax, ds: DicomDataset): void {
  for (const el of sortedElements(ds)) {
    // Group lengths go stale when values change; they are optional outside File Meta.
    if (elementOf(el.tag) === 0 && groupOf(el.tag) !== 0x0002) continue;
    if (el.items) {
      writeHeader(w, s, el.tag, 'SQ', UNDEFINED);
      for (const item of el.items) {
        w.tag(T.Item, s.little);
        w.u32(UNDEFINED, s.little);
        writeDataset(w, s, item);
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
      writeHeader(w, s, el.tag, el.vr, value.length);
      w.push(value);
    }
  }
}

export interface WriteOptions {
  /** Write with this transfer syntax instead of the file's own (only between uncompressed syntaxes). */
  transferSyntaxUID?: string;
}

export const implementationClassUID = '2.25.178417009613383524426911006212536880113';
export const implementationVersionName = 'SUTURE_MEDIA_1';

/** Serialises a DicomFile as Part 10 (preamble, File Meta rebuilt with a fresh group length). */
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
  writeDataset(body, syntax, file.dataset);
  let bodyBytes = body.concat();
  if (tsUID === TS.DeflatedLE) bodyBytes = new Uint8Array(deflateRawSync(bodyBytes));

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
