// DICOM de-identification: PS3.15 Table E.1-1 (profile.ts, the standard's table as data) applied element
// by element at every depth, with its options (modified or full dates, clean descriptors, structured
// content and graphics, retain UIDs, device and institution identity, patient characteristics, safe
// private); attributes the table does not list are handled by their VR (unlisted.ts), never kept by
// default; free text is scrubbed (text-scrub.ts) in the data set's character set (charset.ts). Keyed UID
// remapping and patient pseudonyms, private tag removal, File Meta cleaning, burned-in text redaction.
import { MediaError } from '../errors.ts';
import { type SecretKey, dateShiftFor, pseudonymFor, remapUid, shiftDA, shiftDT } from '../deid/keys.ts';
import { type Box, type FrameSampling, type TextDetector, scanFrames } from '../ocr.ts';
import { T, elementOf, formatTag, groupOf, isPrivateTag, nameOf, vrOf } from './dictionary.ts';
import { type DicomDataset, type DicomElement, type DicomFile, encodeText, readDicom, setString, stringOf, textOf, TS, writeDicom, type ReadOptions } from './parse.ts';
import { type DecodedFrame, decodeFrame, displaySupport, pixelModule, toDisplay } from './pixels.ts';
import { type TextCodec, codecFor, decodeValue } from './charset.ts';
import { type ProfileOption, type ProfileRow, optionActionFor, profileRowFor } from './profile.ts';
import { scrubText } from './text-scrub.ts';
import { freeTextVRs, isGroupLength, uidClassTags, unlistedActionFor } from './unlisted.ts';

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
  /** Retain Longitudinal Temporal Information with Full Dates: dates and times kept as they are */
  retainFullDates?: boolean;
  /** Clean Descriptors option: descriptions and other free text kept after scrubbing names, dates, IDs... (text-scrub.ts) */
  cleanDescriptors?: boolean;
  /** Clean Structured Content option: SR content and acquisition context cleaned item by item instead of replaced */
  cleanStructuredContent?: boolean;
  /** Clean Graphics option: graphic annotations kept with their text scrubbed (overlay bitmaps are still removed) */
  cleanGraphics?: boolean;
  /** Retain UIDs option: no UID is remapped */
  retainUIDs?: boolean;
  /** Retain Device Identity option: serial numbers, device IDs and calibration dates kept */
  retainDeviceIdentity?: boolean;
  /** Retain Institution Identity option: institution and department names and addresses kept */
  retainInstitutionIdentity?: boolean;
  /** Retain Patient Characteristics option: sex, age, size, weight... kept */
  retainPatientCharacteristics?: boolean;
  /** private elements to keep (Retain Safe Private option); all others are removed */
  safePrivateTags?: SafePrivateTag[];
  /** look for burned-in text: 'auto' scans when the header says YES or the modality usually carries text */
  burnedInText?: BurnedInPolicy;
  /** text detector (e.g. `createTextDetector()` from ocr.ts); required unless burnedInText is 'never' */
  textDetector?: TextDetector;
  /** how many frames of a multi-frame object the burned-in text scan may run on (default: ocr.ts DEFAULT_FRAME_SAMPLING) */
  frameSampling?: FrameSampling;
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

// Sequences that are Type 2 in common IODs: emptied rather than removed when the table allows either.
const type2Sequences = new Set([0x00400555]);

const riskyModalities = new Set(['US', 'XA', 'RF', 'ES', 'XC', 'GM', 'SC', 'OT', 'OP', 'SM', 'IVUS', 'DOC']);

/** File Meta elements that describe the file itself; every other one (AE titles, addresses, private information) is removed. */
const fileMetaKept = new Set([
  T.FileMetaInformationGroupLength,
  T.FileMetaInformationVersion,
  T.MediaStorageSOPClassUID,
  T.MediaStorageSOPInstanceUID,
  T.TransferSyntaxUID,
  T.ImplementationClassUID,
  T.ImplementationVersionName,
]);

/** Maximum value length per VR (PS3.5 Table 6.2-1), in bytes; a cleaned value must still fit. */
const maxLength: Record<string, number> = { AE: 16, SH: 16, LO: 64, UC: 0xfffffffe, ST: 1024, LT: 10240, UT: 0xfffffffe };
/** VRs whose values may be multi-valued (backslash-separated). */
const multiValued = new Set(['AE', 'LO', 'SH', 'UC', 'PN', 'CS']);
const textVRs = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);

interface Context {
  options: DicomDeidOptions;
  enabled: ReadonlySet<ProfileOption>;
  changes: DeidChange[];
  counts: DicomDeidReport['counts'];
  shiftDays?: number;
  pseudonym?: string;
  phiTokens: string[];
}

/** Where an element sits: the character set in force, whether free text is cleaned here, and the depth. */
interface Scope {
  codec: TextCodec;
  cleanText: boolean;
  depth: number;
}

type Decision = 'K' | 'X' | 'Z' | 'D' | 'U' | 'U*' | 'C' | 'shift' | 'pseudonym';

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
    case 'UR':
      return 'ANONYMIZED';
    default:
      return '';
  }
}

function record(ctx: Context, path: string, el: DicomElement, action: DeidChange['action'], note: string): void {
  const tag = formatTag(el.tag);
  const keyword = isPrivateTag(el.tag) ? nameOf(el.tag) : (profileRowFor(el.tag)?.keyword ?? nameOf(el.tag));
  const code = action === 'pseudonym' ? 'Z' : action;
  ctx.changes.push({ path, tag, keyword, action, summary: `${path} ${keyword}: ${code} (${note})` });
}

function isEmpty(el: DicomElement): boolean {
  if (el.items) return el.items.length === 0;
  if (el.fragments) return false;
  return !el.value || el.value.length === 0 || textOf(el) === '';
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

function shiftValue(ctx: Context, el: DicomElement, path: string): void {
  const value = textOf(el);
  // A whole-day shift keeps times of day (TM) as they are.
  if (!value || el.vr === 'TM' || ctx.shiftDays === undefined) return;
  if (el.vr !== 'DA' && el.vr !== 'DT') return;
  const shifted = value
    .split('\\')
    .map((v) => (el.vr === 'DA' ? shiftDA(v, ctx.shiftDays!) : shiftDT(v, ctx.shiftDays!)) ?? dummyFor(el.vr))
    .join('\\');
  el.value = encodeText(shifted);
  ctx.counts.datesShifted++;
  record(ctx, path, el, 'shift', 'date shifted');
}

function isStandardUid(uid: string): boolean {
  return uid.trim().startsWith('1.2.840.10008.');
}

/**
 * The dummy item of a sequence whose action is D: the first item's structure with every value replaced
 * (text by a dummy, numbers by zero, UIDs remapped), so that a Type 1 sequence stays present and says nothing.
 * Enumerations (CS) stay: they hold no identity and keep the item valid.
 */
function dummyItem(item: DicomDataset, ctx: Context): DicomDataset {
  const out: DicomDataset = new Map();
  for (const el of item.values()) {
    if (isPrivateTag(el.tag) || el.fragments) continue;
    if (el.items) {
      out.set(el.tag, { tag: el.tag, vr: 'SQ', items: el.items.length > 0 ? [dummyItem(el.items[0]!, ctx)] : [] });
    } else if (el.vr === 'CS' || el.tag === T.SpecificCharacterSet) {
      out.set(el.tag, { ...el });
    } else if (el.vr === 'UI') {
      const v = textOf(el) ?? '';
      const keep = ctx.enabled.has('retainUIDs') || uidClassTags.has(el.tag) || v.split('\\').every(isStandardUid);
      const mapped = keep
        ? v
        : v
            .split('\\')
            .map((u) => (u.trim() ? remapUid(ctx.options.uidKey, u.trim()) : u))
            .join('\\');
      out.set(el.tag, { tag: el.tag, vr: el.vr, value: encodeText(mapped) });
    } else if (textVRs.has(el.vr)) {
      out.set(el.tag, { tag: el.tag, vr: el.vr, value: isEmpty(el) ? new Uint8Array(0) : encodeText(dummyFor(el.vr)) });
    } else {
      out.set(el.tag, { tag: el.tag, vr: el.vr, value: new Uint8Array(el.value?.length ?? 0) });
    }
  }
  return out;
}

/** The action a listed attribute gets: the option's (K, then C) when one applies, else the Basic Profile's, resolved. */
function decideListed(row: ProfileRow, el: DicomElement, ctx: Context, scope: Scope): Decision {
  if (scope.depth === 0 && ctx.pseudonym && (el.tag === T.PatientID || el.tag === T.PatientName)) return 'pseudonym';
  const option = optionActionFor(row, ctx.enabled);
  if (option?.action === 'K') return 'K';
  if (option?.action === 'C') {
    if (option.option === 'retainModifiedDates') {
      if (el.vr === 'DA' || el.vr === 'DT' || el.vr === 'TM') return 'shift';
      // A binary timestamp or a time zone cannot be shifted: the Basic Profile action applies.
    } else if (el.items) {
      return 'C';
    } else if (freeTextVRs.has(el.vr) || el.vr === 'AE') {
      return 'C';
    }
    // Overlay and curve bitmaps cannot be cleaned here: the Basic Profile action (removal) applies.
  }
  switch (row.action) {
    case 'X/Z':
      return el.items ? (type2Sequences.has(el.tag) ? 'Z' : 'X') : 'Z'; // keep Type 2 attributes present, emptied
    case 'Z/D':
      return 'Z';
    case 'X/D':
      return 'X';
    case 'X/Z/D':
      // Some IODs make these Type 1 (DeviceSerialNumber in Enhanced General Equipment): a dummy keeps them valid.
      return el.items ? (type2Sequences.has(el.tag) ? 'Z' : 'X') : 'D';
    case 'X/Z/U*':
    case 'X/D/U*':
      return el.items ? 'U*' : el.vr === 'UI' ? 'U' : 'Z';
    default:
      return row.action;
  }
}

function decideUnlisted(el: DicomElement, ctx: Context, scope: Scope): Decision | 'walk' {
  // A UN element is judged by its dictionary VR (text ones were relabelled already in deidDataset).
  const vr = el.vr === 'UN' && !el.items ? (vrOf(el.tag) ?? 'UN') : el.vr;
  const u = unlistedActionFor(
    el.tag,
    vr,
    { cleanText: scope.cleanText, shiftDates: ctx.shiftDays !== undefined, keepDates: ctx.enabled.has('retainFullDates'), keepUIDs: ctx.enabled.has('retainUIDs') },
    vr === 'UI' ? textOf(el) : undefined,
  );
  return u.action;
}

/** Scrubs a free-text value in its character set; returns false when it must be removed instead. */
function cleanText(el: DicomElement, ctx: Context, scope: Scope, path: string): boolean {
  const text = decodeValue(scope.codec, el.value);
  if (text === undefined) return false;
  if (text === '') return true;
  const values = multiValued.has(el.vr) ? text.split('\\') : [text];
  const limit = maxLength[el.vr] ?? 64;
  for (const replacement of ['marker', 'blank'] as const) {
    const found = new Set<string>();
    const cleaned: string[] = [];
    for (const v of values) {
      const r = scrubText(v, { phiTokens: ctx.phiTokens, replacement });
      if (!r.confident) return false;
      r.found.forEach((c) => found.add(c));
      cleaned.push(r.text);
    }
    if (found.size === 0) return true;
    const bytes = scope.codec.encode(cleaned.join('\\'));
    if (!bytes) return false;
    if (bytes.length > limit * (multiValued.has(el.vr) ? values.length : 1)) continue;
    el.value = bytes;
    ctx.counts.cleaned++;
    record(ctx, path, el, 'C', `identifying text replaced: ${[...found].join(', ')}`);
    return true;
  }
  return false;
}

function remove(ds: DicomDataset, el: DicomElement, ctx: Context, path: string, note = 'removed'): void {
  ds.delete(el.tag);
  if ((el.tag & 0xff00ffff) === 0x60003000) {
    // An overlay without its data breaks the Overlay Plane module: drop the whole group.
    for (const other of [...ds.keys()]) if (groupOf(other) === groupOf(el.tag)) ds.delete(other);
  }
  ctx.counts.removed++;
  record(ctx, path, el, 'X', note);
}

function walkItems(el: DicomElement, ctx: Context, path: string, scope: Scope): void {
  el.items?.forEach((item, i) => deidDataset(item, ctx, `${path}[${i}].`, { ...scope, depth: scope.depth + 1 }));
}

function deidDataset(ds: DicomDataset, ctx: Context, prefix: string, outer: Scope): void {
  const charset = ds.get(T.SpecificCharacterSet);
  const scope: Scope = charset ? { ...outer, codec: codecFor(textOf(charset)) } : outer;

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
      walkItems(el, ctx, path, scope);
      continue;
    }
    if (isGroupLength(el.tag)) continue;
    if (el.vr === 'UN' && el.value) {
      // A text element written as UN (by an implicit-VR writer that did not know it) is handled, and
      // written, as its dictionary VR, so that dates are shifted and text is cleaned like any other.
      const known = vrOf(el.tag);
      if (known && textVRs.has(known) && (el.value.length <= 0xffff || known === 'UT' || known === 'UC' || known === 'UR')) el.vr = known;
    }
    if (scope.depth === 0 && (el.tag === T.PatientIdentityRemoved || el.tag === T.DeidentificationMethod || el.tag === T.DeidentificationMethodCodeSequence)) continue;
    const row = profileRowFor(el.tag);
    const decision = row ? decideListed(row, el, ctx, scope) : decideUnlisted(el, ctx, scope);
    switch (decision) {
      case 'walk':
      case 'K':
      case 'U*':
        walkItems(el, ctx, path, scope);
        break;
      case 'X':
        remove(ds, el, ctx, path);
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
          if (el.items.length === 0) break;
          el.items = [dummyItem(el.items[0]!, ctx)];
          ctx.counts.dummied++;
          record(ctx, path, el, 'D', 'replaced with one dummy item');
        } else if (el.vr === 'UI') {
          remapUidValue(ctx, el, path);
        } else if (!isEmpty(el)) {
          el.value = textVRs.has(el.vr) ? encodeText(dummyFor(el.vr)) : new Uint8Array(el.value?.length ?? 0);
          ctx.counts.dummied++;
          record(ctx, path, el, 'D', 'replaced with dummy value');
        }
        break;
      case 'U':
        remapUidValue(ctx, el, path);
        break;
      case 'shift':
        shiftValue(ctx, el, path);
        break;
      case 'pseudonym':
        el.value = encodeText(ctx.pseudonym!);
        record(ctx, path, el, 'pseudonym', 'replaced with pseudonym');
        break;
      case 'C':
        if (el.items) {
          // A cleaned sequence is walked item by item, its free text scrubbed rather than removed.
          walkItems(el, ctx, path, { ...scope, cleanText: true });
        } else if (el.vr === 'PN' || !cleanText(el, ctx, scope, path)) {
          remove(ds, el, ctx, path, 'removed (text that cannot be cleaned with confidence)');
        }
        break;
    }
  }
}

/** Attributes whose values name or identify someone or something, used as tokens to clean descriptors. */
const identityKeyword = /(?:Name|Names|ID|IDs|Identifier|Number|Numbers|Address|Telephone|Telephones|BirthDate|Institution|Station|Location|Issuer|Organization|Affiliation|Title)/;

/** Identifying strings of the header (names and their parts, IDs, institution, ...) that free text must not repeat. */
function phiTokensOf(ds: DicomDataset, codec: TextCodec, into = new Set<string>()): string[] {
  const charset = ds.get(T.SpecificCharacterSet);
  const here = charset ? codecFor(textOf(charset)) : codec;
  for (const el of ds.values()) {
    if (el.items) {
      for (const item of el.items) phiTokensOf(item, here, into);
      continue;
    }
    if (isPrivateTag(el.tag) || !el.value || !textVRs.has(el.vr) || el.vr === 'UI' || el.vr === 'CS') continue;
    const row = profileRowFor(el.tag);
    const isName = el.vr === 'PN';
    const identifying = isName || (row !== undefined && !row.options.cleanDescriptors && identityKeyword.test(row.keyword));
    if (!identifying) continue;
    const value = decodeValue(here, el.value);
    if (!value) continue;
    for (const v of value.split(/[\\=]/)) {
      const whole = v.replace(/\^+/g, ' ').trim();
      if (whole.length >= 3) into.add(whole);
      if (isName) for (const part of v.split(/[\^\s,]+/)) if (part.replace(/\./g, '').length >= 3) into.add(part);
    }
  }
  return [...into].sort((a, b) => b.length - a.length);
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
  if (options.retainFullDates && (options.dateShiftDays !== undefined || options.dateShiftKey !== undefined)) {
    throw new MediaError('INVALID_ARGUMENT', 'Retain full dates and modified (shifted) dates are two different options: give one of them.');
  }
  const file = readDicom(bytes, options.read);
  const ds = file.dataset;
  const enabled = new Set<ProfileOption>();
  if (options.dateShiftDays !== undefined || options.dateShiftKey !== undefined) enabled.add('retainModifiedDates');
  const flags: Array<[ProfileOption, boolean | undefined]> = [
    ['retainFullDates', options.retainFullDates],
    ['cleanDescriptors', options.cleanDescriptors],
    ['cleanStructuredContent', options.cleanStructuredContent],
    ['cleanGraphics', options.cleanGraphics],
    ['retainUIDs', options.retainUIDs],
    ['retainDeviceIdentity', options.retainDeviceIdentity],
    ['retainInstitutionIdentity', options.retainInstitutionIdentity],
    ['retainPatientCharacteristics', options.retainPatientCharacteristics],
    ['retainSafePrivate', (options.safePrivateTags?.length ?? 0) > 0],
  ];
  for (const [option, on] of flags) if (on) enabled.add(option);
  const rootCodec = codecFor(stringOf(ds, T.SpecificCharacterSet));
  const patientIdentity = `${stringOf(ds, 0x00100021) ?? ''}|${stringOf(ds, T.PatientID) ?? ''}|${stringOf(ds, T.PatientID) ? '' : `${stringOf(ds, T.PatientName) ?? ''}|${stringOf(ds, T.PatientBirthDate) ?? ''}`}`;
  const hasIdentity = (stringOf(ds, T.PatientID) ?? stringOf(ds, T.PatientName) ?? '') !== '';
  const ctx: Context = {
    options,
    enabled,
    changes: [],
    counts: { removed: 0, emptied: 0, dummied: 0, uidsRemapped: 0, datesShifted: 0, cleaned: 0, privateRemoved: 0 },
    phiTokens: phiTokensOf(ds, rootCodec),
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
          // Bounded work per asset: a long multi-frame series is sampled (first, last, evenly spaced and the most
          // changed frames) within a fixed budget of detector runs; what any scanned frame shows is blacked out on
          // every frame, because frames that were not scanned are not known to be clean.
          const scan = await scanFrames(
            frames.length,
            (i) => {
              const display = toDisplay(file, frames[i]!, i);
              return { data: display.data, width: frames[i]!.width, height: frames[i]!.height, channels: display.channels };
            },
            options.textDetector,
            options.frameSampling,
          );
          burnedIn.framesScanned = scan.framesScanned.length;
          if (scan.budgetReached) reviewReasons.push('the burned-in text scan reached its budget before every sampled frame was checked');
          if (scan.framesScanned.length === frames.length) regions.push(...scan.regions);
          else for (let i = 0; i < frames.length; i++) for (const b of scan.boxes) regions.push({ ...b, frame: i });
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
  deidDataset(ds, ctx, '', { codec: rootCodec, cleanText: options.cleanDescriptors === true, depth: 0 });
  // --- File Meta: only what describes the file stays (the writer rebuilds it); AE titles, presentation
  // addresses and private information go.
  for (const el of [...file.meta.values()]) {
    if (fileMetaKept.has(el.tag)) continue;
    file.meta.delete(el.tag);
    ctx.counts.removed++;
    record(ctx, formatTag(el.tag), el, 'X', 'removed from File Meta');
  }
  const metaInstance = file.meta.get(T.MediaStorageSOPInstanceUID);
  if (metaInstance && !ds.has(T.SOPInstanceUID) && !enabled.has('retainUIDs')) remapUidValue(ctx, metaInstance, formatTag(T.MediaStorageSOPInstanceUID));

  if (burnedIn.redacted) setString(ds, T.BurnedInAnnotation, 'CS', 'NO');
  else if (burnedIn.scanned && burnedHeader === undefined) setString(ds, T.BurnedInAnnotation, 'CS', 'NO');
  setString(ds, T.PatientIdentityRemoved, 'CS', 'YES');
  // PS3.16 CID 7050 De-identification Method.
  const codes: Array<[string, string]> = [['113100', 'Basic Application Confidentiality Profile']];
  const methods = ['PS3.15 Basic Profile (Suture)'];
  const optionCodes: Array<[ProfileOption | 'cleanPixelData', string, string, string]> = [
    ['cleanPixelData', '113101', 'Clean Pixel Data Option', 'Clean Pixel Data'],
    ['cleanGraphics', '113103', 'Clean Graphics Option', 'Clean Graphics'],
    ['cleanStructuredContent', '113104', 'Clean Structured Content Option', 'Clean Structured Content'],
    ['cleanDescriptors', '113105', 'Clean Descriptors Option', 'Clean Descriptors'],
    ['retainFullDates', '113106', 'Retain Longitudinal Temporal Information Full Dates Option', 'Full Dates'],
    ['retainModifiedDates', '113107', 'Retain Longitudinal Temporal Information Modified Dates Option', 'Modified Dates'],
    ['retainPatientCharacteristics', '113108', 'Retain Patient Characteristics Option', 'Retain Patient Characteristics'],
    ['retainDeviceIdentity', '113109', 'Retain Device Identity Option', 'Retain Device Identity'],
    ['retainUIDs', '113110', 'Retain UIDs Option', 'Retain UIDs'],
    ['retainSafePrivate', '113111', 'Retain Safe Private Option', 'Retain Safe Private'],
    ['retainInstitutionIdentity', '113112', 'Retain Institution Identity Option', 'Retain Institution Identity'],
  ];
  for (const [option, code, meaning, method] of optionCodes) {
    if (option === 'cleanPixelData' ? !burnedIn.redacted : !enabled.has(option)) continue;
    codes.push([code, meaning]);
    methods.push(method);
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
  setString(ds, T.LongitudinalTemporalInformationModified, 'CS', ctx.shiftDays !== undefined ? 'MODIFIED' : options.retainFullDates ? 'UNMODIFIED' : 'REMOVED');

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
