// DICOM de-identification: the PS3.15 Basic Profile applied element by element (sequences included),
// with the Retain Longitudinal Temporal Information with Modified Dates and Clean Descriptors options,
// keyed UID remapping and patient pseudonyms, private tag removal, and burned-in text redaction.
import { MediaError } from '../errors.ts';
import { type SecretKey, dateShiftFor, pseudonymFor, remapUid, shiftDA, shiftDT } from '../deid/keys.ts';
import type { Box, TextDetector } from '../ocr.ts';
import { T, elementOf, formatTag, groupOf, isPrivateTag, nameOf } from './dictionary.ts';
import { type DicomDataset, type DicomElement, type DicomFile, encodeText, readDicom, setString, stringOf, textOf, TS, writeDicom, type ReadOptions } from './parse.ts';
import { type DecodedFrame, decodeFrame, displaySupport, pixelModule, toDisplay } from './pixels.ts';
import { type ProfileRow, profileRowFor } from './profile.ts';

export interface SafePrivateTag {
  /** Private Creator string, e.g. "SIEMENS MR HEADER" */
  creator: string;
  /** the element's low byte (xx in gggg,10xx) */
  element: number;
  /** restrict to one group */
  group?: number;
}

export type BurnedInPolicy = 'never' | 'auto' | 'always';

export interface DicomDeidOptions {
  /** key for UID remapping: the same key gives the same new UIDs for the whole project */
  uidKey: SecretKey;
  /** key for the pseudonymous Patient ID / Patient Name; without it both are emptied */
  patientKey?: SecretKey;
  /** Retain Longitudinal Temporal Information with Modified Dates: a fixed shift ... */
  dateShiftDays?: number;
  /** ... or a per-patient shift derived from this key (same patient, same shift) */
  dateShiftKey?: SecretKey;
  /** Clean Descriptors option: keep descriptions after removing identifying values found in the header */
  cleanDescriptors?: boolean;
  /** private elements to keep (Retain Safe Private option); all others are removed */
  safePrivateTags?: SafePrivateTag[];
  /** look for burned-in text: 'auto' scans when the header says YES or the modality usually carries text */
  burnedInText?: BurnedInPolicy;
  /** text detector (e.g. `createTextDetector()` from ocr.ts); required unless burnedInText is 'never' */
  textDetector?: TextDetector;
  /** extra regions to black out, per frame (all frames when frame is omitted) */
  redactRegions?: Array<Box & { frame?: number }>;
  read?: ReadOptions;
}

export interface DeidChange {
  /** element path, e.g. "(0040,0275)[0].(0040,0009)" */
  path: string;
  tag: string;
  keyword: string;
  action: 'X' | 'Z' | 'D' | 'U' | 'C' | 'shift' | 'pseudonym' | 'added' | 'redacted';
  /** a PHI-free description, e.g. "(0010,0010) PatientName: Z (emptied)" */
  summary: string;
}

export interface DicomDeidReport {
  kind: 'dicom';
  transferSyntaxUID: string;
  outputTransferSyntaxUID: string;
  changes: DeidChange[];
  counts: { removed: number; emptied: number; dummied: number; uidsRemapped: number; datesShifted: number; cleaned: number; privateRemoved: number };
  options: string[];
  burnedIn: {
    headerValue?: string;
    scanned: boolean;
    framesScanned: number;
    regions: Array<Box & { frame: number }>;
    redacted: boolean;
  };
  needsHumanReview: boolean;
  reviewReasons: string[];
}

const uidClassTags = new Set([
  T.SOPClassUID,
  T.TransferSyntaxUID,
  T.MediaStorageSOPClassUID,
  0x00081150, // ReferencedSOPClassUID
  0x00080062, // SOPClassesInStudy
  0x0008010c, // CodingSchemeUID
  0x00080117, // ContextUID
  0x00080118, // MappingResourceUID
  0x0008001a, // RelatedGeneralSOPClassUID
  0x0008001b, // OriginalSpecializedSOPClassUID
  0x00041510, // ReferencedSOPClassUIDInFile
  0x00041512, // ReferencedTransferSyntaxUIDInFile
  0x00400010,
  0x00081199,
]);

// Sequences that are Type 2 in common IODs: emptied rather than removed.
const type2Sequences = new Set([0x00400555, 0x00081110]);

const riskyModalities = new Set(['US', 'XA', 'RF', 'ES', 'XC', 'GM', 'SC', 'OT', 'OP', 'SM', 'IVUS', 'DOC']);

interface Context {
  options: DicomDeidOptions;
  changes: DeidChange[];
  counts: DicomDeidReport['counts'];
  shiftDays?: number;
  pseudonym?: string;
  phiTokens: string[];
}

function dummyFor(vr: string): string {
  switch (vr) {
    case 'DA':
      return '19000101';
    case 'TM':
      return '000000';
    case 'DT':
      return '19000101000000';
    case 'AS':
      return '000Y';
    case 'IS':
    case 'DS':
      return '0';
    case 'PN':
    case 'LO':
    case 'SH':
    case 'CS':
    case 'AE':
    case 'LT':
    case 'ST':
    case 'UT':
    case 'UC':
      return 'ANONYMIZED';
    default:
      return '';
  }
}

function record(ctx: Context, path: string, el: DicomElement, action: DeidChange['action'], note: string): void {
  const tag = formatTag(el.tag);
  const keyword = nameOf(el.tag);
  const code = action === 'pseudonym' ? 'Z' : action === 'shift' ? 'shift' : action;
  ctx.changes.push({ path, tag, keyword, action, summary: `${path} ${keyword}: ${code} (${note})` });
}

function isEmpty(el: DicomElement): boolean {
  if (el.items) return el.items.length === 0;
  if (el.fragments) return false;
  return !el.value || el.value.length === 0 || textOf(el) === '';
}

function scrub(text: string, tokens: string[]): string {
  let out = text;
  for (const t of tokens) {
    const escaped = t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(escaped, 'gi'), '');
  }
  return out.replace(/\s{2,}/g, ' ').trim();
}

type Resolved = 'X' | 'Z' | 'D' | 'U' | 'K' | 'C' | 'U*';

function resolveAction(row: ProfileRow): Resolved {
  switch (row.action) {
    case 'X/Z':
    case 'Z/D':
      return 'Z'; // keep Type 2 attributes present (emptied) so the IOD stays valid
    case 'X/Z/D':
      return 'D'; // some IODs make these Type 1 (DeviceSerialNumber in Enhanced General Equipment)
    case 'X/D':
      return 'X';
    case 'X/Z/U*':
    case 'X/D/U*':
      return 'U*';
    default:
      return row.action;
  }
}

function remapUidValue(ctx: Context, el: DicomElement, path: string): void {
  const value = textOf(el);
  if (!value) return;
  const mapped = value
    .split('\\')
    .map((uid) => (uid.trim() === '' ? uid : remapUid(ctx.options.uidKey, uid.trim())))
    .join('\\');
  el.value = encodeText(mapped);
  ctx.counts.uidsRemapped++;
  record(ctx, path, el, 'U', 'UID remapped');
}

function shiftValue(ctx: Context, el: DicomElement, path: string): boolean {
  if (ctx.shiftDays === undefined) return false;
  const value = textOf(el);
  if (!value) return true;
  if (el.vr === 'TM') return true; // a whole-day shift keeps times of day
  const shifted = value
    .split('\\')
    .map((v) => (el.vr === 'DA' ? shiftDA(v, ctx.shiftDays!) : shiftDT(v, ctx.shiftDays!)) ?? dummyFor(el.vr))
    .join('\\');
  el.value = encodeText(shifted);
  ctx.counts.datesShifted++;
  record(ctx, path, el, 'shift', 'date shifted');
  return true;
}

function deidDataset(ds: DicomDataset, ctx: Context, prefix: string, depth: number): void {
  // Private elements first: keep only those on the safe list (and their creators).
  const keptCreators = new Set<number>();
  for (const el of [...ds.values()]) {
    if (!isPrivateTag(el.tag)) continue;
    const element = elementOf(el.tag);
    if (element >= 0x10 && element <= 0xff) continue;
    const creatorTag = ((groupOf(el.tag) << 16) | (element >> 8)) >>> 0;
    const creator = element >= 0x1000 ? stringOf(ds, creatorTag) : undefined;
    const safe =
      creator !== undefined &&
      ctx.options.safePrivateTags?.some((s) => s.creator === creator && s.element === (element & 0xff) && (s.group === undefined || s.group === groupOf(el.tag)));
    if (safe) {
      keptCreators.add(creatorTag);
    } else {
      ds.delete(el.tag);
      ctx.counts.privateRemoved++;
    }
  }
  for (const el of [...ds.values()]) {
    const element = elementOf(el.tag);
    if (isPrivateTag(el.tag) && element >= 0x10 && element <= 0xff && !keptCreators.has(el.tag)) {
      ds.delete(el.tag);
      ctx.counts.privateRemoved++;
    }
  }

  for (const el of [...ds.values()].sort((a, b) => a.tag - b.tag)) {
    if (!ds.has(el.tag)) continue;
    const path = `${prefix}${formatTag(el.tag)}`;
    if (isPrivateTag(el.tag)) {
      el.items?.forEach((item, i) => deidDataset(item, ctx, `${path}[${i}].`, depth + 1));
      continue;
    }
    if (el.tag === T.PixelData || el.tag === T.PatientIdentityRemoved || el.tag === T.DeidentificationMethod || el.tag === T.DeidentificationMethodCodeSequence) continue;
    const row = profileRowFor(el.tag);
    if (!row) {
      if (el.vr === 'UI' && !uidClassTags.has(el.tag)) {
        const v = textOf(el) ?? '';
        if (v !== '' && !v.split('\\').every((u) => u.startsWith('1.2.840.10008.'))) remapUidValue(ctx, el, path);
      } else if ((el.vr === 'DA' || el.vr === 'DT') && ctx.shiftDays !== undefined && !isEmpty(el)) {
        shiftValue(ctx, el, path);
      }
      el.items?.forEach((item, i) => deidDataset(item, ctx, `${path}[${i}].`, depth + 1));
      continue;
    }
    let action = resolveAction(row);
    if (el.items) {
      // Sequences: an empty Type 3 sequence is invalid and a missing Type 2 one too; remove unless known Type 2.
      if (action === 'Z' || action === 'X') action = type2Sequences.has(el.tag) ? 'Z' : 'X';
    }
    if (row.dates && ctx.shiftDays !== undefined && (el.vr === 'DA' || el.vr === 'DT' || el.vr === 'TM')) {
      shiftValue(ctx, el, path);
      continue;
    }
    if (row.desc && ctx.options.cleanDescriptors && action !== 'U' && action !== 'U*') action = 'C';
    if ((el.tag === T.PatientID || el.tag === T.PatientName) && ctx.pseudonym && depth === 0) {
      el.value = encodeText(ctx.pseudonym);
      record(ctx, path, el, 'pseudonym', 'replaced with pseudonym');
      continue;
    }
    switch (action) {
      case 'K':
        el.items?.forEach((item, i) => deidDataset(item, ctx, `${path}[${i}].`, depth + 1));
        break;
      case 'X':
        ds.delete(el.tag);
        if (row.keyword === 'OverlayData') {
          // An overlay without its data breaks the Overlay Plane module: drop the whole group.
          for (const other of [...ds.keys()]) if (groupOf(other) === groupOf(el.tag)) ds.delete(other);
        }
        ctx.counts.removed++;
        record(ctx, path, el, 'X', 'removed');
        break;
      case 'Z':
        if (isEmpty(el)) break;
        if (el.items) el.items = [];
        else el.value = new Uint8Array(0);
        ctx.counts.emptied++;
        record(ctx, path, el, 'Z', 'emptied');
        break;
      case 'D':
        if (el.items) {
          el.items.forEach((item, i) => deidDataset(item, ctx, `${path}[${i}].`, depth + 1));
        } else if (el.vr === 'UI') {
          remapUidValue(ctx, el, path);
        } else if (!isEmpty(el)) {
          el.value = encodeText(dummyFor(el.vr));
          ctx.counts.dummied++;
          record(ctx, path, el, 'D', 'replaced with dummy value');
        }
        break;
      case 'U':
        remapUidValue(ctx, el, path);
        break;
      case 'U*':
        el.items?.forEach((item, i) => deidDataset(item, ctx, `${path}[${i}].`, depth + 1));
        break;
      case 'C': {
        if (el.items) {
          el.items.forEach((item, i) => deidDataset(item, ctx, `${path}[${i}].`, depth + 1));
          break;
        }
        const before = textOf(el) ?? '';
        const after = scrub(before, ctx.phiTokens);
        if (after !== before) {
          el.value = encodeText(after);
          ctx.counts.cleaned++;
          record(ctx, path, el, 'C', 'identifying text removed');
        }
        break;
      }
    }
  }
}

/** Identifying strings of the header (name parts, IDs, birth date, institution, ...) used to clean descriptors. */
function phiTokensOf(ds: DicomDataset): string[] {
  const tags = [
    T.PatientName,
    T.PatientID,
    T.PatientBirthDate,
    0x00080050,
    0x00080080,
    0x00080081,
    0x00080090,
    0x00081070,
    0x00081050,
    0x00101000,
    0x00101001,
    0x00081010,
    0x00200010,
  ];
  const tokens = new Set<string>();
  for (const tag of tags) {
    const v = stringOf(ds, tag);
    if (!v) continue;
    tokens.add(v);
    for (const part of v.split(/[\^\\ ]+/)) if (part.length >= 3) tokens.add(part);
  }
  return [...tokens].sort((a, b) => b.length - a.length);
}

function blackValue(frame: DecodedFrame): number[] {
  if (frame.samplesPerPixel >= 3) return frame.photometricInterpretation.startsWith('YBR') ? [0, 128, 128] : [0, 0, 0];
  let min = Infinity;
  let max = -Infinity;
  for (const v of frame.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [frame.photometricInterpretation === 'MONOCHROME1' ? max : min];
}

/** Blacks out boxes in a decoded frame, in place. */
export function fillBoxes(frame: DecodedFrame, boxes: Box[]): void {
  const black = blackValue(frame);
  const spp = frame.samplesPerPixel;
  for (const b of boxes) {
    const x0 = Math.max(0, Math.floor(b.x));
    const y0 = Math.max(0, Math.floor(b.y));
    const x1 = Math.min(frame.width, Math.ceil(b.x + b.width));
    const y1 = Math.min(frame.height, Math.ceil(b.y + b.height));
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const o = (y * frame.width + x) * spp;
        for (let s = 0; s < spp; s++) frame.data[o + s] = black[s] ?? black[0]!;
      }
    }
  }
}

function frameToBytes(frame: DecodedFrame): Uint8Array {
  if (frame.data instanceof Uint8Array) return frame.data;
  const out = new Uint8Array(frame.data.length * 2);
  const view = new DataView(out.buffer);
  frame.data.forEach((v, i) => (frame.signed ? view.setInt16(i * 2, v, true) : view.setUint16(i * 2, v, true)));
  return out;
}

function shouldScan(file: DicomFile, policy: BurnedInPolicy): boolean {
  if (policy === 'never') return false;
  if (policy === 'always') return true;
  const ds = file.dataset;
  const burned = stringOf(ds, T.BurnedInAnnotation)?.toUpperCase();
  if (burned === 'YES') return true;
  if (burned === 'NO') return false;
  const modality = stringOf(ds, T.Modality)?.toUpperCase() ?? '';
  const sopClass = stringOf(ds, T.SOPClassUID) ?? '';
  return riskyModalities.has(modality) || sopClass.startsWith('1.2.840.10008.5.1.4.1.1.7') || pixelModule(file).samplesPerPixel === 3;
}

/** De-identifies one DICOM file. Returns the new file bytes and a report that holds no PHI. */
export async function deidentifyDicom(bytes: Uint8Array, options: DicomDeidOptions): Promise<{ bytes: Uint8Array; report: DicomDeidReport }> {
  if (options.dateShiftDays !== undefined && options.dateShiftKey !== undefined) {
    throw new MediaError('INVALID_ARGUMENT', 'Give either dateShiftDays or dateShiftKey, not both.');
  }
  const file = readDicom(bytes, options.read);
  const ds = file.dataset;
  const patientIdentity = `${stringOf(ds, 0x00100021) ?? ''}|${stringOf(ds, T.PatientID) ?? ''}|${stringOf(ds, T.PatientID) ? '' : `${stringOf(ds, T.PatientName) ?? ''}|${stringOf(ds, T.PatientBirthDate) ?? ''}`}`;
  const hasIdentity = (stringOf(ds, T.PatientID) ?? stringOf(ds, T.PatientName) ?? '') !== '';
  const ctx: Context = {
    options,
    changes: [],
    counts: { removed: 0, emptied: 0, dummied: 0, uidsRemapped: 0, datesShifted: 0, cleaned: 0, privateRemoved: 0 },
    phiTokens: phiTokensOf(ds),
    ...(options.dateShiftDays !== undefined ? { shiftDays: options.dateShiftDays } : {}),
    ...(options.dateShiftKey !== undefined ? { shiftDays: dateShiftFor(options.dateShiftKey, patientIdentity) } : {}),
    ...(options.patientKey !== undefined && hasIdentity ? { pseudonym: pseudonymFor(options.patientKey, patientIdentity) } : {}),
  };
  const reviewReasons: string[] = [];
  const burnedHeader = stringOf(ds, T.BurnedInAnnotation);
  const burnedIn: DicomDeidReport['burnedIn'] = { ...(burnedHeader ? { headerValue: burnedHeader } : {}), scanned: false, framesScanned: 0, regions: [], redacted: false };

  // --- pixels first (reads the original header for photometric and geometry)
  let outputTS = file.transferSyntaxUID;
  const pixel = ds.get(T.PixelData);
  const policy = options.burnedInText ?? 'auto';
  if (pixel && (shouldScan(file, policy) || (options.redactRegions?.length ?? 0) > 0)) {
    const pm = pixelModule(file);
    const support = displaySupport(file.transferSyntaxUID);
    if (!support.displayable) {
      reviewReasons.push(`pixel data in ${support.transferSyntaxName} cannot be decoded, so it was not checked for burned-in text`);
    } else {
      const frames: DecodedFrame[] = [];
      try {
        for (let i = 0; i < pm.numberOfFrames; i++) frames.push(await decodeFrame(file, i));
      } catch (error) {
        if (!(error instanceof MediaError)) throw error;
        reviewReasons.push(`pixel data could not be decoded (${error.code}), so it was not checked for burned-in text`);
        frames.length = 0;
      }
      if (frames.length > 0) {
        const regions: Array<Box & { frame: number }> = [];
        if (shouldScan(file, policy)) {
          if (!options.textDetector)
            throw new MediaError('INVALID_ARGUMENT', 'burnedInText needs a textDetector (createTextDetector from ocr.ts), or set burnedInText to "never".');
          burnedIn.scanned = true;
          for (let i = 0; i < frames.length; i++) {
            const display = toDisplay(file, frames[i]!, i);
            const found = await options.textDetector({ data: display.data, width: frames[i]!.width, height: frames[i]!.height, channels: display.channels });
            burnedIn.framesScanned++;
            for (const b of found) regions.push({ ...b, frame: i });
          }
        }
        for (const r of options.redactRegions ?? []) {
          if (r.frame === undefined) for (let i = 0; i < frames.length; i++) regions.push({ ...r, frame: i });
          else regions.push({ ...r, frame: r.frame });
        }
        burnedIn.regions = regions.map(({ x, y, width, height, frame }) => ({ x, y, width, height, frame }));
        if (regions.length > 0) {
          for (let i = 0; i < frames.length; i++)
            fillBoxes(
              frames[i]!,
              regions.filter((r) => r.frame === i),
            );
          const native = frames.map(frameToBytes);
          const total = native.reduce((n, f) => n + f.length, 0);
          const data = new Uint8Array(total + (total % 2));
          let o = 0;
          for (const f of native) {
            data.set(f, o);
            o += f.length;
          }
          const first = frames[0]!;
          if (pixel.fragments) {
            // Redacted frames are stored uncompressed: no encoder is needed and no further loss is added.
            outputTS = TS.ExplicitLE;
            const lossy = ['1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.4.51', '1.2.840.10008.1.2.4.81', '1.2.840.10008.1.2.4.91'].includes(file.transferSyntaxUID);
            if (lossy) setString(ds, T.LossyImageCompression, 'CS', '01');
            setString(ds, T.PhotometricInterpretation, 'CS', first.photometricInterpretation);
            ds.delete(T.ExtendedOffsetTable);
            ds.delete(T.ExtendedOffsetTableLengths);
            const bits = new Uint8Array(2);
            new DataView(bits.buffer).setUint16(0, first.bitsAllocated, true);
            ds.set(T.BitsAllocated, { tag: T.BitsAllocated, vr: 'US', value: bits });
          }
          if (first.samplesPerPixel > 1) {
            ds.set(T.PlanarConfiguration, { tag: T.PlanarConfiguration, vr: 'US', value: new Uint8Array(2) });
          }
          if (!file.littleEndian && first.bitsAllocated > 8) {
            for (let i = 0; i + 1 < data.length; i += 2) [data[i], data[i + 1]] = [data[i + 1]!, data[i]!];
          }
          ds.set(T.PixelData, { tag: T.PixelData, vr: first.bitsAllocated > 8 ? 'OW' : 'OB', value: data });
          burnedIn.redacted = true;
          ctx.changes.push({
            path: '(7FE0,0010)',
            tag: '(7FE0,0010)',
            keyword: 'PixelData',
            action: 'redacted',
            summary: `(7FE0,0010) PixelData: ${regions.length} region(s) blacked out in ${new Set(regions.map((r) => r.frame)).size} frame(s)`,
          });
          reviewReasons.push('burned-in text was detected and redacted: a person must confirm that nothing identifying is left');
        }
      }
    }
  }
  if (burnedHeader?.toUpperCase() === 'YES' && !burnedIn.redacted) reviewReasons.push('the header says BurnedInAnnotation YES and no region was redacted');

  // --- header
  deidDataset(ds, ctx, '', 0);
  file.meta.delete(T.SourceApplicationEntityTitle);
  file.meta.delete(0x00020100);
  file.meta.delete(0x00020102);

  if (burnedIn.redacted) setString(ds, T.BurnedInAnnotation, 'CS', 'NO');
  else if (burnedIn.scanned && burnedHeader === undefined) setString(ds, T.BurnedInAnnotation, 'CS', 'NO');
  setString(ds, T.PatientIdentityRemoved, 'CS', 'YES');
  const codes: Array<[string, string]> = [['113100', 'Basic Application Confidentiality Profile']];
  const methods = ['PS3.15 Basic Profile (Suture)'];
  if (ctx.shiftDays !== undefined) {
    codes.push(['113107', 'Retain Longitudinal Temporal Information Modified Dates Option']);
    methods.push('Modified Dates');
  }
  if (options.cleanDescriptors) {
    codes.push(['113105', 'Clean Descriptors Option']);
    methods.push('Clean Descriptors');
  }
  if (burnedIn.redacted) {
    codes.push(['113101', 'Clean Pixel Data Option']);
    methods.push('Clean Pixel Data');
  }
  if ((options.safePrivateTags?.length ?? 0) > 0) {
    codes.push(['113111', 'Retain Safe Private Option']);
    methods.push('Retain Safe Private');
  }
  setString(ds, T.DeidentificationMethod, 'LO', methods.join('\\'));
  ds.set(T.DeidentificationMethodCodeSequence, {
    tag: T.DeidentificationMethodCodeSequence,
    vr: 'SQ',
    items: codes.map(([value, meaning]) => {
      const item: DicomDataset = new Map();
      setString(item, T.CodeValue, 'SH', value);
      setString(item, T.CodingSchemeDesignator, 'SH', 'DCM');
      setString(item, T.CodeMeaning, 'LO', meaning);
      return item;
    }),
  });
  setString(ds, T.LongitudinalTemporalInformationModified, 'CS', ctx.shiftDays !== undefined ? 'MODIFIED' : 'REMOVED');

  const out = writeDicom(file, { transferSyntaxUID: outputTS });
  return {
    bytes: out,
    report: {
      kind: 'dicom',
      transferSyntaxUID: file.transferSyntaxUID,
      outputTransferSyntaxUID: outputTS,
      changes: ctx.changes,
      counts: ctx.counts,
      options: methods,
      burnedIn,
      needsHumanReview: reviewReasons.length > 0,
      reviewReasons,
    },
  };
}
