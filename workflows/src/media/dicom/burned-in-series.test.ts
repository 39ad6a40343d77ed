// Burned-in text on a long multi-frame series: the scan runs on a bounded sample of frames, and what it finds is
// blacked out on every frame, including frames the detector never saw.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type TextDetector, DEFAULT_FRAME_SAMPLING, createTextDetector } from '../ocr.ts';
import { ffmpeg, tempDir } from '../test-support.ts';
import { deidentifyDicom } from './deid.ts';
import { T } from './dictionary.ts';
import { type DicomDataset, type DicomFile, TS, encodeText, readDicom, setString, setUint16, writeDicom } from './parse.ts';
import { decodeFrame } from './pixels.ts';

const dir = tempDir('suture-series-');
const font = spawnSync('fc-match', ['-f', '%{file}', 'DejaVu Sans'], { encoding: 'utf8' }).stdout.trim();
const keys = { uidKey: 'series-uid-key', patientKey: 'series-patient-key', dateShiftKey: 'series-date-key' };
const W = 512;
const H = 512;
const FRAMES = 96;
// Where the name line is drawn (with margin): every frame must be black there after de-identification.
const TEXT = { x0: 16, y0: 16, x1: 400, y1: 52 };

/** 96 grey frames of a moving test pattern (an angiography run), each with the patient's name burned in at the top left. */
function seriesFrames(): Uint8Array {
  const raw = join(dir, 'frames.gray');
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `testsrc2=s=${W}x${H}:r=25:d=${FRAMES / 25}`,
    '-vf',
    `format=gray,drawbox=x=0:y=0:w=420:h=64:color=black:t=fill,drawtext=fontfile=${font}:text='DOE^JANE  MRN 88412907':x=20:y=22:fontsize=24:fontcolor=white`,
    '-frames:v',
    String(FRAMES),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'gray',
    raw,
  ]);
  const bytes = readFileSync(raw);
  expect(bytes.length).toBe(W * H * FRAMES);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function seriesFile(pixels: Uint8Array): Uint8Array {
  const ds: DicomDataset = new Map();
  const text = (tag: number, vr: string, value: string) => setString(ds, tag, vr, value);
  text(T.SOPClassUID, 'UI', '1.2.840.10008.5.1.4.1.1.12.1');
  text(T.SOPInstanceUID, 'UI', '1.2.826.0.1.3680043.2.1125.9.1');
  text(T.StudyInstanceUID, 'UI', '1.2.826.0.1.3680043.2.1125.9.2');
  text(T.SeriesInstanceUID, 'UI', '1.2.826.0.1.3680043.2.1125.9.3');
  text(T.Modality, 'CS', 'XA');
  text(T.PatientName, 'PN', 'DOE^JANE');
  text(T.PatientID, 'LO', '88412907');
  text(T.BurnedInAnnotation, 'CS', 'YES');
  text(T.PhotometricInterpretation, 'CS', 'MONOCHROME2');
  text(T.NumberOfFrames, 'IS', String(FRAMES));
  setUint16(ds, T.SamplesPerPixel, 1);
  setUint16(ds, T.Rows, H);
  setUint16(ds, T.Columns, W);
  setUint16(ds, T.BitsAllocated, 8);
  setUint16(ds, T.BitsStored, 8);
  setUint16(ds, T.HighBit, 7);
  setUint16(ds, T.PixelRepresentation, 0);
  ds.set(T.PixelData, { tag: T.PixelData, vr: 'OB', value: pixels });
  const meta: DicomDataset = new Map();
  meta.set(T.MediaStorageSOPClassUID, { tag: T.MediaStorageSOPClassUID, vr: 'UI', value: encodeText('1.2.840.10008.5.1.4.1.1.12.1') });
  meta.set(T.MediaStorageSOPInstanceUID, { tag: T.MediaStorageSOPInstanceUID, vr: 'UI', value: encodeText('1.2.826.0.1.3680043.2.1125.9.1') });
  const file: DicomFile = { meta, dataset: ds, transferSyntaxUID: TS.ExplicitLE, hadFileMeta: true, littleEndian: true } as DicomFile;
  return writeDicom(file);
}

describe('burned-in text on a 96-frame series', () => {
  it('runs the detector on a bounded sample and blacks out the text on every frame', async () => {
    const input = seriesFile(seriesFrames());
    const real = createTextDetector();
    let calls = 0;
    const counting: TextDetector = async (image) => {
      calls++;
      return real(image);
    };
    const { bytes, report } = await deidentifyDicom(input, { ...keys, textDetector: counting });
    expect(report.burnedIn.scanned).toBe(true);
    expect(report.burnedIn.framesScanned).toBeLessThanOrEqual(DEFAULT_FRAME_SAMPLING.maxFrames);
    expect(report.burnedIn.framesScanned).toBeGreaterThan(1);
    expect(calls).toBeLessThanOrEqual(DEFAULT_FRAME_SAMPLING.maxPasses);
    expect(report.burnedIn.redacted).toBe(true);
    const output = readDicom(bytes);
    expect(new Set(report.burnedIn.regions.map((r) => r.frame)).size).toBe(FRAMES);
    for (let f = 0; f < FRAMES; f++) {
      const frame = await decodeFrame(output, f);
      let lit = 0;
      for (let y = TEXT.y0; y < TEXT.y1; y++) for (let x = TEXT.x0; x < TEXT.x1; x++) if ((frame.data[y * W + x] as number) > 96) lit++;
      expect(lit, `frame ${f}: text pixels left`).toBe(0);
    }
    // A person still confirms the redaction before anyone labels the series.
    expect(report.reviewReasons.length).toBeGreaterThan(0);
  });
});
