import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dicomDir, tempDir } from '../test-support.ts';
import { createTextDetector } from '../ocr.ts';
import { dateShiftFor, remapUid } from '../deid/keys.ts';
import { T, isPrivateTag, parseTag, vrOf } from './dictionary.ts';
import { type DicomDataset, type DicomFile, readDicom, setString, stringOf, textOf, TS, walk, writeDicom } from './parse.ts';
import { decodeFrame, displaySupport, pixelModule } from './pixels.ts';
import { basicProfile, profileRowFor } from './profile.ts';
import { deidentifyDicom } from './deid.ts';
import { keepListEntries } from './unlisted.ts';

const malformed = new Set(['MR_truncated.dcm', 'emri_small_jpeg_2k_lossless_too_short.dcm']);
const files = readdirSync(dicomDir).filter((f) => f.endsWith('.dcm') && !malformed.has(f));
const keys = { uidKey: 'test-uid-key', patientKey: 'test-patient-key', dateShiftKey: 'test-date-key' };
const detector = createTextDetector();
const out = tempDir();
const textVRs = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);

/** Original string values of every PHI attribute (any profile action but K), sequences included. */
function phiValues(file: DicomFile, keepsTimes = false): Set<string> {
  const values = new Set<string>();
  walk(file.dataset, (el) => {
    if (isPrivateTag(el.tag) || !textVRs.has(el.vr)) return;
    // The Modified Dates option shifts whole days and keeps times of day.
    if (keepsTimes && el.vr === 'TM') return;
    // Short numbers (weight, age) are checked per path only: they coincide with technical values.
    if (el.vr === 'DS' || el.vr === 'IS') return;
    const row = profileRowFor(el.tag);
    if (!row || row.action === 'K') return;
    const v = textOf(el);
    if (!v || [...v].some((c) => c.charCodeAt(0) < 0x20)) return;
    if (v.length >= 4) values.add(v);
    for (const part of v.split(/[\\^]/)) if (part.length >= 4) values.add(part.trim());
  });
  for (const tag of [T.PatientName, T.PatientID, T.PatientBirthDate]) {
    const v = stringOf(file.dataset, tag);
    if (v && v.length >= 4) values.add(v);
  }
  values.delete('ANONYMIZED');
  // A PHI value equal to an attribute the profile keeps (InstitutionName 'TOSHIBA' = Manufacturer
  // 'TOSHIBA') is not searched for across the file; its own element is still checked by path.
  walk(file.dataset, (el) => {
    const kept = !profileRowFor(el.tag) && !isPrivateTag(el.tag) && textVRs.has(el.vr) ? (textOf(el) ?? '') : '';
    if (kept) for (const v of [...values]) if (kept.includes(v)) values.delete(v);
  });
  return values;
}

const numeric = (p: string) => /^[\d.+-]+$/.test(p);

/** Path → original value of every PHI attribute: the same path must not hold the same value afterwards. */
function phiByPath(file: DicomFile, keepsTimes = false): Map<string, string> {
  const out = new Map<string, string>();
  walk(file.dataset, (el, path) => {
    const row = profileRowFor(el.tag);
    if (!row || row.action === 'K' || row.action === 'U' || isPrivateTag(el.tag) || !textVRs.has(el.vr) || (keepsTimes && el.vr === 'TM')) return;
    const v = textOf(el);
    if (v) out.set(path, v);
  });
  return out;
}
/** Numbers must not survive as a whole value; text must not survive even inside another value. */
const holds = (value: string, p: string) => (numeric(p) ? value.split('\\').includes(p) : value.includes(p));
/** Values distinctive enough to search for in raw bytes and in the JSON report. */
const distinctive = (p: string) => (numeric(p) ? p.length >= 8 : p.length >= 6);

const results = new Map<string, { input: DicomFile; output: DicomFile; bytes: Uint8Array; report: Awaited<ReturnType<typeof deidentifyDicom>>['report'] }>();
async function deid(f: string) {
  let r = results.get(f);
  if (!r) {
    const { bytes, report } = await deidentifyDicom(readFileSync(join(dicomDir, f)), { ...keys, textDetector: detector });
    r = { input: readDicom(readFileSync(join(dicomDir, f))), output: readDicom(bytes), bytes, report };
    writeFileSync(join(out, f), bytes);
    results.set(f, r);
  }
  return r;
}

describe('the Basic Profile table', () => {
  it('holds the common attributes with the right actions', () => {
    expect(basicProfile.length).toBe(621);
    const action = (k: string) => basicProfile.find((r) => r.keyword === k)?.action;
    expect(action('PatientName')).toBe('Z');
    expect(action('PatientID')).toBe('Z/D');
    expect(action('PatientBirthDate')).toBe('Z');
    expect(action('AccessionNumber')).toBe('Z');
    expect(action('StudyInstanceUID')).toBe('U');
    expect(action('SOPInstanceUID')).toBe('U');
    expect(action('InstitutionName')).toBe('X/Z/D');
    expect(action('ReferringPhysicianName')).toBe('Z');
    expect(action('DeviceSerialNumber')).toBe('X/Z/D');
    expect(action('OtherPatientIDs')).toBe('X');
    expect(new Set(basicProfile.map((r) => r.tag)).size).toBe(basicProfile.length);
  });
});

describe('the keep-list of attributes the table does not list', () => {
  it('holds no attribute of the table (where the table speaks, it decides)', () => {
    const entries = keepListEntries();
    expect(entries.length).toBeGreaterThan(100);
    for (const { keyword } of entries) {
      const row = basicProfile.find((r) => r.keyword === keyword);
      expect(row, `${keyword} is in Table E.1-1: the table decides`).toBeUndefined();
    }
  });
});

describe('deidentifyDicom on the real files', () => {
  it('leaves no PHI value anywhere in any output file (Basic Profile, no options)', async () => {
    for (const f of files) {
      const input = readDicom(readFileSync(join(dicomDir, f)));
      const { bytes, report } = await deidentifyDicom(readFileSync(join(dicomDir, f)), { uidKey: 'u', burnedInText: 'never' });
      const output = readDicom(bytes);
      const phi = phiValues(input);
      expect(phi.size, f).toBeGreaterThan(0);
      const haystack = Buffer.from(bytes).toString('latin1');
      walk(output.dataset, (el, path) => {
        // Binary values (pixel data) are covered by the raw byte search below.
        const v = textVRs.has(el.vr) ? (textOf(el) ?? '') : '';
        for (const p of phi) expect(holds(v, p), `${f} ${path} still holds a PHI value`).toBe(false);
      });
      for (const p of phi) if (distinctive(p)) expect(haystack.includes(p), `${f}: PHI bytes survive`).toBe(false);
      const afterByPath = new Map<string, string | undefined>();
      walk(output.dataset, (el, p) => void afterByPath.set(p, textOf(el)));
      for (const [path, v] of phiByPath(input)) expect(afterByPath.get(path) === v, `${f} ${path} unchanged`).toBe(false);
      expect(JSON.stringify(report)).not.toMatch(/CompressedSamples|Sssssss|Lestrade|Moriarty|Citizen/);
    }
  });

  it('leaves no PHI value anywhere in any output file (pseudonyms, modified dates, OCR)', async () => {
    for (const f of files) {
      const { input, output, bytes, report } = await deid(f);
      const phi = phiValues(input, true);
      const haystack = Buffer.from(bytes).toString('latin1');
      walk(output.dataset, (el, path) => {
        // Binary values (pixel data) are covered by the raw byte search below.
        const v = textVRs.has(el.vr) ? (textOf(el) ?? '') : '';
        for (const p of phi) expect(holds(v, p), `${f} ${path} still holds a PHI value`).toBe(false);
      });
      for (const p of phi) if (distinctive(p)) expect(haystack.includes(p), `${f}: PHI bytes survive`).toBe(false);
      const afterByPath = new Map<string, string | undefined>();
      walk(output.dataset, (el, p) => void afterByPath.set(p, textOf(el)));
      for (const [path, v] of phiByPath(input, true)) expect(afterByPath.get(path) === v, `${f} ${path} unchanged`).toBe(false);
      expect(stringOf(output.dataset, T.PatientIdentityRemoved)).toBe('YES');
      expect(output.dataset.get(T.DeidentificationMethodCodeSequence)?.items?.some((i) => stringOf(i, T.CodeValue) === '113100')).toBe(true);
      // The report names what changed, never an old value.
      const reportText = JSON.stringify(report);
      for (const p of phi) if (distinctive(p)) expect(reportText.includes(p), `${f}: report leaks a value`).toBe(false);
      let privates = 0;
      walk(output.dataset, (el) => void (isPrivateTag(el.tag) && privates++));
      expect(privates, f).toBe(0);
    }
  });

  it('remaps UIDs consistently, keeps one date shift per patient and sets a pseudonym', async () => {
    const { input, output, report } = await deid('CT_small.dcm');
    const study = stringOf(input.dataset, T.StudyInstanceUID)!;
    expect(stringOf(output.dataset, T.StudyInstanceUID)).toBe(remapUid(keys.uidKey, study));
    expect(stringOf(output.dataset, T.StudyInstanceUID)).toMatch(/^2\.25\.\d+$/);
    expect(stringOf(output.dataset, T.SOPClassUID)).toBe(stringOf(input.dataset, T.SOPClassUID));
    expect(stringOf(output.dataset, T.PatientID)).toMatch(/^SP[A-Z2-9]{14}$/);
    expect(stringOf(output.dataset, T.PatientName)).toBe(stringOf(output.dataset, T.PatientID));
    // StudyDate moved by the patient's shift; intervals between dates are kept.
    const day = (s: string) => Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8)) / 86_400_000;
    const before = stringOf(input.dataset, T.StudyDate)!;
    const after = stringOf(output.dataset, T.StudyDate)!;
    const shift = day(after) - day(before);
    expect(shift).toBeLessThan(0);
    const identity = `|${stringOf(input.dataset, T.PatientID)}|`;
    expect(shift).toBe(dateShiftFor(keys.dateShiftKey, identity));
    expect(stringOf(output.dataset, T.LongitudinalTemporalInformationModified)).toBe('MODIFIED');
    expect(report.changes.find((c) => c.keyword === 'PatientName')?.summary).toBe('(0010,0010) PatientName: Z (replaced with pseudonym)');
    // Same input, same key: same output UIDs (idempotent across files of one project).
    const again = await deidentifyDicom(readFileSync(join(dicomDir, 'CT_small.dcm')), { ...keys, burnedInText: 'never' });
    expect(stringOf(readDicom(again.bytes).dataset, T.SOPInstanceUID)).toBe(stringOf(output.dataset, T.SOPInstanceUID));
  });

  it('de-identifies inside sequences (the UN sequence of bad_sequence.dcm, functional groups)', async () => {
    const { output } = await deid('bad_sequence.dcm');
    expect(output.dataset.get(0x00189346)?.items?.length).toBe(1);
    const { input: ein, output: eout } = await deid('emri_small.dcm');
    const uidsIn: string[] = [];
    walk(ein.dataset, (el) => el.vr === 'UI' && uidsIn.push(textOf(el) ?? ''));
    const outText: string[] = [];
    walk(eout.dataset, (el) => outText.push(textOf(el) ?? ''));
    for (const uid of uidsIn.filter((u) => u && !u.startsWith('1.2.840.10008.'))) expect(outText).not.toContain(uid);
  });

  it('keeps pixel data identical outside redacted regions', async () => {
    for (const f of files) {
      const { input, output, report } = await deid(f);
      if (!input.dataset.has(T.PixelData) || !displaySupport(input.transferSyntaxUID).displayable || f === 'WG04_XA1_JPLY.dcm') continue;
      const frames = pixelModule(input).numberOfFrames;
      for (let i = 0; i < frames; i++) {
        const a = await decodeFrame(input, i);
        const b = await decodeFrame(output, i);
        const boxes = report.burnedIn.regions.filter((r) => r.frame === i);
        const inside = (x: number, y: number) => boxes.some((r) => x >= Math.floor(r.x) && x < Math.ceil(r.x + r.width) && y >= Math.floor(r.y) && y < Math.ceil(r.y + r.height));
        let diff = 0;
        for (let y = 0; y < a.height; y++) {
          for (let x = 0; x < a.width; x++) {
            if (inside(x, y)) continue;
            for (let s = 0; s < a.samplesPerPixel; s++) if (a.data[(y * a.width + x) * a.samplesPerPixel + s] !== b.data[(y * a.width + x) * a.samplesPerPixel + s]) diff++;
          }
        }
        expect(diff, `${f} frame ${i}`).toBe(0);
      }
    }
  });

  it('finds and blacks out the burned-in patient number, age, dates and times of both endoscopy frames', async () => {
    const textAreas: Record<string, Array<[number, number, number, number]>> = {
      // [x0, y0, x1, y1] around: patient no., sex+age, (VL1: birth date), exam date, exam time
      'WG04_VL1_RLE_endoscopy.dcm': [
        [78, 40, 142, 60],
        [78, 60, 192, 80],
        [78, 80, 205, 100],
        [95, 120, 222, 140],
        [95, 140, 222, 160],
      ],
      'WG04_VL2_J2KI_endoscopy.dcm': [
        [78, 40, 142, 60],
        [78, 60, 192, 80],
        [95, 120, 222, 140],
        [95, 140, 222, 160],
      ],
    };
    for (const [f, areas] of Object.entries(textAreas)) {
      const { input, output, report } = await deid(f);
      const a = await decodeFrame(input, 0);
      const b = await decodeFrame(output, 0);
      const bright = (frame: typeof a, [x0, y0, x1, y1]: [number, number, number, number]) => {
        let n = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (frame.data[(y * frame.width + x) * 3]! > 128) n++;
        return n;
      };
      for (const area of areas) {
        expect(bright(a, area), `${f} text present before`).toBeGreaterThan(20);
        expect(bright(b, area), `${f} text gone after`).toBe(0);
      }
      expect(report.burnedIn.redacted).toBe(true);
      expect(report.needsHumanReview).toBe(true);
      expect(stringOf(output.dataset, T.BurnedInAnnotation)).toBe('NO');
      expect(output.dataset.get(T.DeidentificationMethodCodeSequence)?.items?.some((i) => stringOf(i, T.CodeValue) === '113101')).toBe(true);
    }
    // The JPEG 2000 frame is decoded through OpenJPEG (WASM) and stored redacted as uncompressed RGB.
    const { report } = await deid('WG04_VL2_J2KI_endoscopy.dcm');
    expect(report.outputTransferSyntaxUID).toBe('1.2.840.10008.1.2.1');
  });

  it('is no less valid than its input according to dciodvfy', async () => {
    const errors = (path: string) => {
      const r = spawnSync('dciodvfy', [path], { encoding: 'latin1' });
      return ((r.stdout + r.stderr).match(/^Error/gm) ?? []).length;
    };
    for (const f of files) {
      await deid(f);
      expect(errors(join(out, f)), f).toBeLessThanOrEqual(errors(join(dicomDir, f)));
    }
  });

  it('applies Clean Descriptors and keeps safe private tags only', async () => {
    const { bytes, report } = await deidentifyDicom(readFileSync(join(dicomDir, 'CT_small.dcm')), {
      uidKey: 'k',
      burnedInText: 'never',
      cleanDescriptors: true,
      safePrivateTags: [{ creator: 'GEMS_IDEN_01', element: 0x01 }],
    });
    const output = readDicom(bytes);
    expect(stringOf(output.dataset, T.StudyDescription)).toBeDefined();
    expect(stringOf(output.dataset, T.PatientID)).toBe('');
    expect(report.options).toContain('Clean Descriptors');
    expect(report.options).toContain('Retain Safe Private');
    // (0009,1001) under creator GEMS_IDEN_01 is kept with its creator; (0009,1002) and the rest are gone.
    expect(stringOf(output.dataset, 0x00091001)).toBe('GE_GENESIS_FF');
    expect(stringOf(output.dataset, 0x00090010)).toBe('GEMS_IDEN_01');
    expect(output.dataset.has(0x00091002)).toBe(false);
    expect(stringOf(output.dataset, T.LongitudinalTemporalInformationModified)).toBe('REMOVED');
  });
});

// ------------------------------------------------------------------ the whole of Table E.1-1, row by row

interface TableRow {
  name: string;
  tag: string;
  basicProfile: string;
  [column: string]: string;
}
/** Read straight from the JSON (not through profile.ts), so that the test checks the code against the standard's data. */
const table = JSON.parse(readFileSync(new URL('./ps3.15/confidentiality_profile_attributes.json', import.meta.url), 'utf8')) as TableRow[];

const optionRuns: Array<{ name: string; column?: string; options: Partial<Parameters<typeof deidentifyDicom>[1]> }> = [
  { name: 'Basic Profile', options: {} },
  { name: 'Modified Dates', column: 'rtnLongModifDatesOpt', options: { dateShiftDays: -10 } },
  { name: 'Full Dates', column: 'rtnLongFullDatesOpt', options: { retainFullDates: true } },
  { name: 'Clean Descriptors', column: 'cleanDescOpt', options: { cleanDescriptors: true } },
  { name: 'Clean Structured Content', column: 'cleanStructContOpt', options: { cleanStructuredContent: true } },
  { name: 'Clean Graphics', column: 'cleanGraphOpt', options: { cleanGraphics: true } },
  { name: 'Retain UIDs', column: 'rtnUIDsOpt', options: { retainUIDs: true } },
  { name: 'Retain Device Identity', column: 'rtnDevIdOpt', options: { retainDeviceIdentity: true } },
  { name: 'Retain Institution Identity', column: 'rtnInstIdOpt', options: { retainInstitutionIdentity: true } },
  { name: 'Retain Patient Characteristics', column: 'rtnPatCharsOpt', options: { retainPatientCharacteristics: true } },
  { name: 'Retain Safe Private', column: 'rtnSafePrivOpt', options: { safePrivateTags: [{ creator: 'SUTURE PHI TEST', element: 0x01 }] } },
];

type Outcome = 'removed' | 'empty' | 'kept' | 'dummy' | 'remapped' | 'shifted' | 'cleaned' | 'walked' | 'changed';

interface Planted {
  row: TableRow;
  tag: number;
  vr: string;
  /** strings planted in the value (and in a sequence's item) that must not survive unless kept */
  markers: string[];
  nestedMarkers: string[];
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const day0 = Date.UTC(1921, 0, 1);
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10).replace(/-/g, '');

/** A synthetic data set holding every attribute of the table with a planted, unique marker in each (valid for its VR). */
function tableDataset(): { file: DicomFile; planted: Planted[] } {
  const ds: DicomDataset = new Map();
  const planted: Planted[] = [];
  setString(ds, T.SpecificCharacterSet, 'CS', 'ISO_IR 100');
  setString(ds, T.SOPClassUID, 'UI', '1.2.840.10008.5.1.4.1.1.7');
  table.forEach((row, i) => {
    let tag: number;
    if (row.tag.startsWith('(GGGG')) {
      setString(ds, 0x00090010, 'LO', 'SUTURE PHI TEST');
      tag = 0x00091001;
    } else {
      tag = parseTag(row.tag.replace(/XX,XXXX/, '00,3000').replace(/XX/, '00'));
    }
    // The dictionary's VR; "OB or OW" style entries (curve data) are written as OB, a private element as LO.
    const known = vrOf(tag);
    const vr = tag === 0x00091001 ? 'LO' : known && /^[A-Z]{2}$/.test(known) ? known : 'OB';
    const id = String(90000000 + i);
    const nid = String(91000000 + i);
    const uid = (n: string) => `1.2.826.0.1.3680043.9.7777.${n}`;
    const markers: string[] = [];
    const nestedMarkers: string[] = [];
    const text = (s: string) => {
      setString(ds, tag, vr, s);
    };
    switch (vr) {
      case 'SQ': {
        const item: DicomDataset = new Map();
        setString(item, 0x00140104, 'PN', `Holmes${nid}^Sherlock`); // unlisted PN
        setString(item, 0x00081150, 'UI', '1.2.840.10008.5.1.4.1.1.2');
        setString(item, 0x00081155, 'UI', uid(String(92000000 + i)));
        ds.set(tag, { tag, vr: 'SQ', items: [item] });
        nestedMarkers.push(nid, uid(String(92000000 + i)));
        break;
      }
      case 'PN':
        text(`Holmes${id}^Sherlock`);
        markers.push(id);
        break;
      case 'SH':
        text(`CT MRN ${id}`);
        markers.push(id);
        break;
      case 'LO':
        text(`CT ABDOMEN Dr Holmes MRN ${id}`);
        markers.push(id);
        break;
      case 'LT':
      case 'ST':
      case 'UT':
      case 'UC':
        text(`CT ABDOMEN seen by Dr Holmes, MRN ${id}, call 555-123-4567`);
        markers.push(id);
        break;
      case 'AE':
        text(`AE${id}`);
        markers.push(id);
        break;
      case 'CS':
        text(`M${id}`);
        markers.push(id);
        break;
      case 'AS':
        text('095Y');
        break;
      case 'DS':
      case 'IS':
        text(id);
        markers.push(id);
        break;
      case 'UI':
        text(uid(id));
        markers.push(uid(id));
        break;
      case 'UR':
        text(`https://example.org/p/${id}`);
        markers.push(id);
        break;
      case 'DA':
        text(isoDay(day0 + i * 40 * 86_400_000));
        markers.push(isoDay(day0 + i * 40 * 86_400_000));
        break;
      case 'DT':
        text(`${isoDay(day0 + i * 40 * 86_400_000)}101010`);
        markers.push(`${isoDay(day0 + i * 40 * 86_400_000)}101010`);
        break;
      case 'TM':
        text(`${pad(i % 24, 2)}${pad((i * 7) % 60, 2)}${pad((i * 13) % 60, 2)}.${700000 + i}`);
        markers.push(String(700000 + i));
        break;
      case 'US':
        ds.set(tag, { tag, vr, value: Uint8Array.of(0x34, 0x12) });
        break;
      default:
        ds.set(tag, { tag, vr, value: new Uint8Array(Buffer.from(`OB${id}`, 'latin1')) });
        markers.push(id);
    }
    planted.push({ row, tag, vr, markers, nestedMarkers });
  });
  // A private element that no option keeps.
  setString(ds, 0x00091002, 'LO', 'Holmes 93000000');
  const file: DicomFile = { meta: new Map(), dataset: ds, transferSyntaxUID: TS.ExplicitLE, hadFileMeta: true, littleEndian: true, explicitVR: true, deflated: false };
  return { file, planted };
}

const dummies = new Set(['ANONYMIZED', '19000101', '000000', '19000101000000', '000Y', '0']);

function observe(p: Planted, before: DicomDataset, after: DicomDataset, uidKey: string, shiftDays: number | undefined): Outcome {
  const a = after.get(p.tag);
  const b = before.get(p.tag)!;
  if (!a) return 'removed';
  if (a.items) {
    if (a.items.length === 0) return 'empty';
    const item = a.items[0]!;
    if (stringOf(item, 0x00140104) === 'ANONYMIZED') return 'dummy';
    if (!item.has(0x00140104) && a.items.length === b.items!.length) return 'walked';
    return 'changed';
  }
  const va = a.value ?? new Uint8Array(0);
  const vb = b.value!;
  if (va.length === 0) return 'empty';
  if (!textVRs.has(p.vr)) return va.every((x) => x === 0) ? 'dummy' : Buffer.from(va).equals(Buffer.from(vb)) ? 'kept' : 'changed';
  if (textOf(a) === '') return 'empty';
  if (Buffer.from(va).equals(Buffer.from(vb))) return 'kept';
  const t = textOf(a) ?? '';
  if (p.vr === 'UI') return t === remapUid(uidKey, textOf(b)!) ? 'remapped' : 'changed';
  if ((p.vr === 'DA' || p.vr === 'DT') && shiftDays !== undefined) {
    const shifted = isoDay(Date.UTC(+textOf(b)!.slice(0, 4), +textOf(b)!.slice(4, 6) - 1, +textOf(b)!.slice(6, 8)) + shiftDays * 86_400_000);
    if (t.startsWith(shifted) && t.slice(8) === textOf(b)!.slice(8)) return 'shifted';
  }
  if (dummies.has(t) || va.every((x) => x === 0)) return 'dummy';
  if (['LO', 'SH', 'LT', 'ST', 'UT', 'UC', 'AE'].includes(p.vr) && !p.markers.some((m) => t.includes(m)) && !t.includes('Holmes')) return 'cleaned';
  return 'changed';
}

/** What the standard allows for a row's action code (compound codes: any of their parts). */
function allowedOutcomes(code: string, vr: string, dateOption: boolean): Outcome[] {
  const one = (c: string): Outcome[] => {
    switch (c) {
      case 'X':
        return ['removed'];
      case 'Z':
        return ['empty'];
      case 'D':
        return vr === 'UI' ? ['remapped'] : ['dummy'];
      case 'U':
      case 'U*':
        return vr === 'SQ' ? ['walked'] : ['remapped'];
      case 'K':
        // A kept sequence is walked: every element inside still goes through its own row or VR rule.
        return vr === 'SQ' ? ['walked'] : ['kept'];
      case 'C':
        if (dateOption) return vr === 'TM' ? ['kept'] : ['shifted'];
        if (vr === 'SQ') return ['walked'];
        // Text is scrubbed, or removed when it cannot be cleaned with confidence; person names are removed.
        return vr === 'PN' ? ['removed'] : ['cleaned', 'removed'];
      default:
        throw new Error(`unknown action ${c}`);
    }
  };
  return code.split('/').flatMap(one);
}

/** Where an option's C cannot apply to the value (a binary timestamp, a time zone, an overlay bitmap), the Basic Profile action does. */
function cannotClean(row: TableRow, vr: string, column: string | undefined): boolean {
  if (column === 'rtnLongModifDatesOpt') return !['DA', 'DT', 'TM'].includes(vr);
  return !['SQ', 'LO', 'SH', 'LT', 'ST', 'UT', 'UC', 'AE', 'PN'].includes(vr);
}

describe('Table E.1-1, every row, on a data set that holds every attribute', () => {
  const uidKey = 'row-walk-key';
  const tally: Record<string, Record<string, number>> = {};
  for (const run of optionRuns) {
    it(`applies each row's action: ${run.name}`, async () => {
      const { file, planted } = tableDataset();
      expect(planted.length).toBe(621);
      const input = writeDicom(file);
      const inputText = Buffer.from(input).toString('latin1');
      // Each marker occurs once in the input (SOP Instance UID twice, with File Meta), so that finding it afterwards means it survived.
      for (const p of planted)
        for (const m of [...p.markers, ...p.nestedMarkers]) expect(inputText.split(m).length - 1, `${p.row.tag} ${m}`).toBe(p.tag === T.SOPInstanceUID ? 2 : 1);
      const { bytes, report } = await deidentifyDicom(input, { uidKey, burnedInText: 'never', ...run.options });
      const before = readDicom(input).dataset;
      const after = readDicom(bytes).dataset;
      const outputText = Buffer.from(bytes).toString('latin1');
      const mismatches: string[] = [];
      const counts: Record<string, number> = {};
      for (const p of planted) {
        const optionCode = run.column ? p.row[run.column] : undefined;
        const dateOption = run.column === 'rtnLongModifDatesOpt';
        const code = optionCode === 'C' && cannotClean(p.row, p.vr, run.column) ? p.row.basicProfile : (optionCode ?? p.row.basicProfile);
        // A private attribute on the safe list is the Retain Safe Private option's "clean": it is kept.
        const allowed = p.tag === 0x00091001 && optionCode === 'C' ? ['kept'] : allowedOutcomes(code, p.vr, dateOption && optionCode === 'C');
        const seen = observe(p, before, after, uidKey, run.options.dateShiftDays);
        counts[seen] = (counts[seen] ?? 0) + 1;
        if (!allowed.includes(seen)) mismatches.push(`${p.row.tag} ${p.row.name} [${p.vr}] ${code}: ${seen}, expected ${allowed.join('|')}`);
        // No planted value survives anywhere in the bytes unless the row keeps it.
        if (seen !== 'kept') for (const m of p.markers) if (outputText.includes(m)) mismatches.push(`${p.row.tag} ${p.row.name}: planted value survives (${seen})`);
        for (const m of p.nestedMarkers) {
          const uidKept = run.column === 'rtnUIDsOpt' && m.includes('.');
          if (!uidKept && outputText.includes(m)) mismatches.push(`${p.row.tag} ${p.row.name}: planted value inside the sequence survives (${seen})`);
        }
      }
      expect(outputText.includes('93000000'), 'a private element off the safe list survives').toBe(false);
      tally[run.name] = counts;
      expect(mismatches).toEqual([]);
      // The report names tags and actions, never a planted value.
      const reportText = JSON.stringify(report);
      for (const p of planted) for (const m of [...p.markers, ...p.nestedMarkers]) expect(reportText.includes(m), `${p.row.tag} in the report`).toBe(false);
      if (process.env.DEID_ROW_TALLY) console.log(run.name, JSON.stringify(counts));
    });
  }
});

// ------------------------------------------------------------------ leaks from issue 11, on real files with PHI planted

const enc = (s: string, encoding: BufferEncoding = 'latin1') => new Uint8Array(Buffer.from(s, encoding));
const put = (ds: DicomDataset, tag: number, vr: string, value: string | Uint8Array) => void ds.set(tag, { tag, vr, value: typeof value === 'string' ? enc(value) : value });
const seq = (ds: DicomDataset, tag: number, ...items: DicomDataset[]) => void ds.set(tag, { tag, vr: 'SQ', items });
const item = (fill: (ds: DicomDataset) => void): DicomDataset => {
  const ds: DicomDataset = new Map();
  fill(ds);
  return ds;
};

/** A real file from the shared test data with values planted into its data set and File Meta. */
function planted(base: string, plant: (ds: DicomDataset, meta: DicomDataset) => void): Uint8Array {
  const file = readDicom(readFileSync(join(dicomDir, base)));
  plant(file.dataset, file.meta);
  return writeDicom(file);
}

/** Which of the planted byte strings are still in the output. */
function survivors(bytes: Uint8Array, planted: Array<string | Uint8Array>, encoding: BufferEncoding = 'latin1'): string[] {
  const haystack = Buffer.from(bytes);
  return planted
    .filter((p) => haystack.includes(typeof p === 'string' ? Buffer.from(p, encoding) : Buffer.from(p)))
    .map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('hex')));
}

/** A structured report's content tree: text, a person, a date, a UID reference and a nested container. */
function srContent(name: string, mrn: string): DicomDataset[] {
  const code = (value: string, meaning: string) =>
    item((c) => {
      put(c, T.CodeValue, 'SH', value);
      put(c, T.CodingSchemeDesignator, 'SH', 'DCM');
      put(c, T.CodeMeaning, 'LO', meaning);
    });
  return [
    item((i) => {
      put(i, 0x0040a010, 'CS', 'CONTAINS');
      put(i, 0x0040a040, 'CS', 'TEXT');
      seq(i, 0x0040a043, code('121071', 'Finding'));
      put(i, 0x0040a160, 'UT', `Nodule stable. Patient ${name} MRN ${mrn}, seen 2023-01-15, daughter Jane on 555-123-4567`);
    }),
    item((i) => {
      put(i, 0x0040a010, 'CS', 'HAS OBS CONTEXT');
      put(i, 0x0040a040, 'CS', 'PNAME');
      seq(i, 0x0040a043, code('121008', 'Person Observer Name'));
      put(i, 0x0040a123, 'PN', 'Watson^John');
    }),
    item((i) => {
      put(i, 0x0040a010, 'CS', 'HAS OBS CONTEXT');
      put(i, 0x0040a040, 'CS', 'DATE');
      seq(i, 0x0040a043, code('111060', 'Study Date'));
      put(i, 0x0040a121, 'DA', '20230115');
    }),
    item((i) => {
      put(i, 0x0040a010, 'CS', 'HAS OBS CONTEXT');
      put(i, 0x0040a040, 'CS', 'UIDREF');
      seq(i, 0x0040a043, code('110180', 'Study Instance UID'));
      put(i, 0x0040a124, 'UI', '1.2.826.0.1.3680043.9.7777.424242');
    }),
    item((i) => {
      put(i, 0x0040a010, 'CS', 'CONTAINS');
      put(i, 0x0040a040, 'CS', 'CONTAINER');
      put(i, 0x0040a050, 'CS', 'SEPARATE');
      seq(i, 0x0040a043, code('121070', 'Findings'));
      seq(
        i,
        0x0040a730,
        item((n) => {
          put(n, 0x0040a010, 'CS', 'CONTAINS');
          put(n, 0x0040a040, 'CS', 'TEXT');
          seq(n, 0x0040a043, code('121071', 'Finding'));
          put(n, 0x0040a160, 'UT', `Discussed with Dr ${name.split('^')[0]} at Sunnyside Care Home`);
        }),
      );
    }),
  ];
}

describe('leaks found in issue 11 (each planted into a real file)', () => {
  const opts = { uidKey: 'leak-key', burnedInText: 'never' as const };
  const leaks: Array<{
    leak: string;
    base?: string;
    options?: Partial<Parameters<typeof deidentifyDicom>[1]>;
    plant: (ds: DicomDataset, meta: DicomDataset) => void;
    phi: string[];
  }> = [
    { leak: 'ConsultingPhysicianName', plant: (ds) => put(ds, 0x0008009c, 'PN', 'Moriarty^James'), phi: ['Moriarty'] },
    { leak: 'SecondaryReviewerName (unlisted PN)', plant: (ds) => put(ds, 0x00140104, 'PN', 'Lestrade^Inspector'), phi: ['Lestrade'] },
    { leak: 'EvaluatorName (unlisted PN)', plant: (ds) => put(ds, 0x00142006, 'PN', 'Hudson^Martha'), phi: ['Hudson'] },
    {
      leak: 'the accession number inside ContainerIdentifier and SpecimenIdentifier (slide microscopy)',
      plant: (ds) => {
        put(ds, 0x00080050, 'SH', 'A7719284');
        put(ds, 0x00400512, 'LO', 'A7719284');
        seq(
          ds,
          0x00400560,
          item((s) => {
            put(s, 0x00400551, 'LO', 'A7719284-1');
            put(s, 0x00400554, 'UI', '1.2.826.0.1.3680043.9.7777.5150');
            put(s, 0x00400600, 'LO', 'Biopsy A7719284 from Holmes');
          }),
        );
      },
      phi: ['A7719284', '1.2.826.0.1.3680043.9.7777.5150', 'Holmes'],
    },
    {
      leak: 'clinical trial coordinating centre, subject and site ids',
      plant: (ds) => {
        put(ds, 0x00120060, 'LO', 'Baker Street Trials Unit');
        put(ds, 0x00120040, 'LO', 'SUBJ-00221');
        put(ds, 0x00120030, 'LO', 'SITE-7741');
      },
      phi: ['Baker Street Trials', 'SUBJ-00221', 'SITE-7741'],
    },
    {
      leak: 'specimen label text and barcodes',
      plant: (ds) => {
        put(ds, 0x22000002, 'UT', 'HOLMES S 221B 1854-01-06');
        put(ds, 0x22000005, 'LO', 'BC9988776655');
      },
      phi: ['HOLMES', '221B', 'BC9988776655'],
    },
    { leak: 'lens serial numbers', plant: (ds) => put(ds, 0x00160051, 'LO', 'LSN-55443322'), phi: ['55443322'] },
    { leak: 'Reason for Visit', plant: (ds) => put(ds, 0x00321066, 'UC', 'Fall at Sunnyside Care Home, daughter Jane Doe'), phi: ['Sunnyside', 'Jane Doe'] },
    {
      leak: 'RT ROI names and plan labels',
      base: 'rtstruct.dcm',
      plant: (ds) => {
        const rois = ds.get(0x30060020)!.items!;
        put(rois[0]!, 0x30060026, 'LO', 'Holmes tumour');
        put(ds, 0x300a0002, 'SH', 'Plan Moriarty');
      },
      phi: ['Holmes', 'Moriarty'],
    },
    {
      leak: 'graphic annotation text',
      plant: (ds) =>
        seq(
          ds,
          0x00700001,
          item((g) => {
            put(g, 0x00700002, 'CS', 'LAYER1');
            seq(
              g,
              0x00700008,
              item((t) => {
                put(t, 0x00700006, 'ST', 'Sherlock Holmes MRN 12345678');
                put(t, 0x00700010, 'FL', new Uint8Array(8));
              }),
            );
          }),
        ),
      phi: ['Holmes', 'Sherlock', '12345678'],
    },
    {
      leak: 'person identification code sequences (names and MRNs)',
      plant: (ds) => {
        const person = item((p) =>
          seq(
            p,
            0x00401101,
            item((c) => {
              put(c, T.CodeValue, 'SH', 'MRN778899');
              put(c, T.CodingSchemeDesignator, 'SH', 'L');
              put(c, T.CodeMeaning, 'LO', 'Holmes, Sherlock');
            }),
          ),
        );
        seq(ds, 0x00401101, ...person.get(0x00401101)!.items!);
        // ... and three levels down, under sequences the table does not list.
        seq(
          ds,
          0x00081115,
          item((s) =>
            seq(
              s,
              0x0008114a,
              item((r) => seq(r, 0x0040a170, person)),
            ),
          ),
        );
      },
      phi: ['MRN778899', 'Holmes', 'Sherlock'],
    },
    {
      leak: 'free text with a phone number, a relative and a care home (Clean Descriptors)',
      options: { cleanDescriptors: true },
      plant: (ds) => {
        put(ds, 0x00204000, 'LT', 'Resident of Oakwood Nursing Home. Contact her daughter Jane on 07700 900123.');
        put(ds, 0x001021b0, 'LT', 'Fall at home, son Peter called (555) 123-4567. Lives at 12 Elm Grove Road.');
      },
      phi: ['Oakwood', 'Jane', '07700 900123', 'Peter', '123-4567', 'Elm Grove'],
    },
    {
      leak: 'File Meta source, sending and receiving AE titles',
      plant: (_ds, meta) => {
        put(meta, 0x00020016, 'AE', 'HOLMESPC');
        put(meta, 0x00020017, 'AE', 'SENDER221B');
        put(meta, 0x00020018, 'AE', 'WATSONWS');
      },
      phi: ['HOLMESPC', 'SENDER221B', 'WATSONWS'],
    },
  ];
  for (const { leak, base, options, plant, phi } of leaks) {
    it(`removes ${leak}`, async () => {
      const input = planted(base ?? 'CT_small.dcm', plant);
      expect(survivors(input, phi)).toEqual(phi);
      const { bytes, report } = await deidentifyDicom(input, { ...opts, ...options });
      expect(survivors(bytes, phi), leak).toEqual([]);
      expect(survivors(enc(JSON.stringify(report)), phi)).toEqual([]);
      // The output is still a readable Part 10 file.
      expect(stringOf(readDicom(bytes).meta, T.TransferSyntaxUID)).toBeDefined();
    });
  }

  it('cleans a structured report item by item under Clean Structured Content instead of dropping it', async () => {
    const input = planted('CT_small.dcm', (ds) => seq(ds, 0x0040a730, ...srContent('Holmes^Sherlock', '12345678')));
    const { bytes } = await deidentifyDicom(input, { ...opts, cleanStructuredContent: true, dateShiftDays: -30 });
    const content = readDicom(bytes).dataset.get(0x0040a730)?.items ?? [];
    expect(content).toHaveLength(5);
    // Codes are kept, text is scrubbed, the person name is replaced, dates shifted, UIDs remapped.
    expect(content.map((i) => stringOf(i.get(0x0040a043)!.items![0]!, T.CodeMeaning))).toEqual(['Finding', 'Person Observer Name', 'Study Date', 'Study Instance UID', 'Findings']);
    const text = stringOf(content[0]!, 0x0040a160)!;
    expect(text).toContain('Nodule stable');
    for (const p of ['Holmes', 'Sherlock', '12345678', '2023-01-15', 'Jane', '555-123-4567']) expect(text).not.toContain(p);
    expect(stringOf(content[1]!, 0x0040a123)).not.toContain('Watson');
    expect(stringOf(content[2]!, 0x0040a121)).toBe('20221216');
    expect(stringOf(content[3]!, 0x0040a124)).toBe(remapUid('leak-key', '1.2.826.0.1.3680043.9.7777.424242'));
    const nested = stringOf(content[4]!.get(0x0040a730)!.items![0]!, 0x0040a160)!;
    expect(nested).toContain('Discussed with Dr');
    expect(nested).not.toMatch(/Holmes|Sunnyside/);
    // Without the option the table's D applies: one dummy item, no content left.
    const basic = await deidentifyDicom(input, opts);
    const dummy = readDicom(basic.bytes).dataset.get(0x0040a730)?.items ?? [];
    expect(dummy).toHaveLength(1);
    expect(survivors(basic.bytes, ['Holmes', 'Watson', 'Nodule', '424242', '12345678'])).toEqual([]);
  });

  it('handles elements written as UN by their dictionary VR (names removed, dates shifted, text cleaned)', async () => {
    const input = planted('CT_small.dcm', (ds) => {
      put(ds, 0x00140104, 'UN', 'Lestrade^Giles'); // SecondaryReviewerName
      put(ds, 0x00140102, 'UN', '20230115'); // SecondaryReviewDate
      put(ds, 0x00204000, 'UN', 'Seen by Dr Holmes '); // ImageComments
    });
    const { bytes } = await deidentifyDicom(input, { ...opts, dateShiftDays: -30, cleanDescriptors: true });
    const out = readDicom(bytes).dataset;
    expect(out.has(0x00140104)).toBe(false);
    expect(stringOf(out, 0x00140102)).toBe('20221216');
    expect(stringOf(out, 0x00204000)).toBe('Seen by Dr [NAME]');
    expect(survivors(bytes, ['Lestrade', 'Holmes', '20230115'])).toEqual([]);
  });

  it('keeps graphic annotations with their text scrubbed under Clean Graphics', async () => {
    const input = planted('CT_small.dcm', (ds) =>
      seq(
        ds,
        0x00700001,
        item((g) => {
          put(g, 0x00700002, 'CS', 'LAYER1');
          seq(
            g,
            0x00700008,
            item((t) => put(t, 0x00700006, 'ST', 'Lesion 12 mm, Dr Holmes MRN 12345678')),
          );
        }),
      ),
    );
    const { bytes } = await deidentifyDicom(input, { ...opts, cleanGraphics: true });
    const text = stringOf(readDicom(bytes).dataset.get(0x00700001)!.items![0]!.get(0x00700008)!.items![0]!, 0x00700006);
    expect(text).toBe('Lesion 12 mm, Dr [NAME] MRN [ID]');
  });
});

describe('PHI planted at every depth, in several character sets', () => {
  const jis = (s: string) => new Uint8Array(Buffer.from(s.replace(/<J>/g, '\x1b$B').replace(/<A>/g, '\x1b(B'), 'latin1'));
  const encodings: Array<{ name: string; charset: string; encode: (s: string) => Uint8Array; person: string; text: string; phi: Uint8Array[] }> = [
    {
      name: 'ISO_IR 100 (Latin-1)',
      charset: 'ISO_IR 100',
      encode: (s) => enc(s, 'latin1'),
      person: 'Müller^Jürgen',
      text: 'Befund mit Frau Müller besprochen, Tel 0711 2345678',
      phi: ['Müller', 'Jürgen', '0711 2345678'].map((s) => enc(s, 'latin1')),
    },
    {
      name: 'ISO_IR 192 (UTF-8)',
      charset: 'ISO_IR 192',
      encode: (s) => enc(s, 'utf8'),
      person: 'Żółć^Łukasz=山田^太郎',
      text: 'Rozmowa z Pani Żółć, tel. 601 234 567 (山田太郎)',
      phi: ['Żółć', 'Łukasz', '山田', '太郎', '601 234 567'].map((s) => enc(s, 'utf8')),
    },
    {
      name: 'ISO 2022 IR 87 (Japanese, code extensions)',
      charset: '\\ISO 2022 IR 87',
      encode: jis,
      person: 'Yamada^Tarou=<J>;3ED<A>^<J>B@O:<A>',
      text: '<J>;3ED<A> <J>B@O:<A> MRN 88776655',
      phi: [jis('Yamada'), jis('Tarou'), jis('<J>;3ED'), jis('<J>B@O:'), jis('88776655')],
    },
  ];

  function plantEverywhere(ds: DicomDataset, meta: DicomDataset, e: (typeof encodings)[number]): void {
    const p = (tag: number, vr: string, s: string, into = ds) => put(into, tag, vr, e.encode(s));
    put(ds, T.SpecificCharacterSet, 'CS', e.charset);
    p(T.PatientName, 'PN', e.person);
    p(0x00140104, 'PN', e.person); // SecondaryReviewerName, not in the table
    p(0x00204000, 'LT', e.text); // ImageComments
    p(0x0040a492, 'LO', e.text.slice(0, 40)); // CompletionFlagDescription, not in the table
    put(ds, 0x00290010, 'LO', 'ACME 1.0');
    p(0x00291001, 'LO', e.person);
    for (const tag of [0x00020016, 0x00020017, 0x00020018]) put(meta, tag, 'AE', 'HOLMESPC');
    const deep = item((d) => {
      p(0x00140104, 'PN', e.person, d);
      p(0x00204000, 'LT', e.text, d);
      p(0x00291001, 'LO', e.person, d);
      seq(
        d,
        0x00401101,
        item((c) => {
          put(c, T.CodeValue, 'SH', 'MRN88776655');
          put(c, T.CodingSchemeDesignator, 'SH', 'L');
          p(T.CodeMeaning, 'LO', e.person, c);
        }),
      );
      seq(
        d,
        0x00700001,
        item((g) =>
          seq(
            g,
            0x00700008,
            item((t) => p(0x00700006, 'ST', e.text, t)),
          ),
        ),
      );
      seq(
        d,
        0x0040a730,
        item((i) => {
          put(i, 0x0040a040, 'CS', 'TEXT');
          p(0x0040a160, 'UT', e.text, i);
        }),
        item((i) => {
          put(i, 0x0040a040, 'CS', 'PNAME');
          p(0x0040a123, 'PN', e.person, i);
        }),
      );
    });
    // Three and more levels down, under sequences the table does not list.
    seq(
      ds,
      0x00081115,
      item((s) =>
        seq(
          s,
          0x0008114a,
          item((r) => seq(r, 0x0040a170, deep)),
        ),
      ),
    );
    seq(ds, 0x0040a730, ...deep.get(0x0040a730)!.items!);
  }

  const configurations: Array<[string, Partial<Parameters<typeof deidentifyDicom>[1]>]> = [
    ['the Basic Profile', {}],
    ['the production options (pseudonyms, shifted dates, Clean Descriptors)', { patientKey: 'p', dateShiftKey: 'd', cleanDescriptors: true }],
    ['every cleaning option', { cleanDescriptors: true, cleanStructuredContent: true, cleanGraphics: true, dateShiftDays: -7 }],
  ];
  for (const e of encodings) {
    for (const [what, options] of configurations) {
      it(`${e.name}: nothing planted survives ${what}`, async () => {
        const input = planted('CT_small.dcm', (ds, meta) => plantEverywhere(ds, meta, e));
        const phi = [...e.phi, enc('HOLMESPC'), enc('MRN88776655')];
        expect(survivors(input, phi).length).toBe(phi.length);
        const { bytes, report } = await deidentifyDicom(input, { uidKey: 'u', burnedInText: 'never', ...options });
        expect(survivors(bytes, phi)).toEqual([]);
        expect(survivors(enc(JSON.stringify(report), 'utf8'), phi)).toEqual([]);
        const out = readDicom(bytes);
        expect(stringOf(out.dataset, T.SpecificCharacterSet)).toBe(e.charset);
        // The File Meta stays valid: version, classes, syntax and implementation, and nothing else.
        expect([...out.meta.keys()].sort((a, b) => a - b)).toEqual([0x00020000, 0x00020001, 0x00020002, 0x00020003, 0x00020010, 0x00020012, 0x00020013]);
        expect(stringOf(out.meta, 0x00020003)).toBe(stringOf(out.dataset, T.SOPInstanceUID));
      });
    }
  }

  it('cleans Latin-1 free text in its own character set (not dropped when it can be cleaned)', async () => {
    const input = planted('CT_small.dcm', (ds, meta) => plantEverywhere(ds, meta, encodings[0]!));
    const { bytes } = await deidentifyDicom(input, { uidKey: 'u', burnedInText: 'never', cleanDescriptors: true });
    const comments = readDicom(bytes).dataset.get(0x00204000)!.value!;
    expect(Buffer.from(comments).toString('latin1').trim()).toBe('Befund mit Frau [NAME] besprochen, Tel [PHONE]');
  });

  it('removes free text it cannot read with confidence (other scripts)', async () => {
    const input = planted('CT_small.dcm', (ds, meta) => plantEverywhere(ds, meta, encodings[2]!));
    const { bytes, report } = await deidentifyDicom(input, { uidKey: 'u', burnedInText: 'never', cleanDescriptors: true });
    expect(readDicom(bytes).dataset.has(0x00204000)).toBe(false);
    expect(report.changes.find((c) => c.path === '(0020,4000)')?.summary).toBe('(0020,4000) ImageComments: X (removed (text that cannot be cleaned with confidence))');
  });
});
