import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dicomDir, tempDir } from '../test-support.ts';
import { createTextDetector } from '../ocr.ts';
import { dateShiftFor, remapUid } from '../deid/keys.ts';
import { T, isPrivateTag } from './dictionary.ts';
import { type DicomFile, readDicom, stringOf, textOf, walk } from './parse.ts';
import { decodeFrame, displaySupport, pixelModule } from './pixels.ts';
import { basicProfile, profileRowFor } from './profile.ts';
import { deidentifyDicom } from './deid.ts';

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
    expect(basicProfile.length).toBeGreaterThan(250);
    const action = (k: string) => basicProfile.find((r) => r.keyword === k)?.action;
    expect(action('PatientName')).toBe('Z');
    expect(action('PatientID')).toBe('Z');
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
