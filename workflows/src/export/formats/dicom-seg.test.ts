import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../media/test-support.ts';
import type { ExportAsset } from '../format.ts';
import { standardFormatFor } from '../registry.ts';
import { collect, memorySource } from '../testing.ts';
import { dicomSeg } from './dicom-seg.ts';

type Naturalized = Record<string, unknown>;
const dcmjs = createRequire(import.meta.url)('dcmjs') as {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer): { dict: object } };
    DicomMetaDictionary: { naturalizeDataset(dict: object): Naturalized; denaturalizeDataset(d: Naturalized): object };
    DicomDict: new (meta: object) => { dict: object; write(): ArrayBuffer };
  };
};

const classes = [
  { key: 'liver', name: 'Liver' },
  { key: 'tumour', name: 'Tumour' },
  { key: 'vessel', name: 'Vessel' },
];
const dicomAsset = (id: string, dims: [number, number, number]): ExportAsset => ({
  id,
  kind: 'DICOM',
  fileName: null,
  width: dims[0],
  height: dims[1],
  frameCount: dims[2],
  volume: { dims },
});

/** Runs over n voxels from sorted foreground voxel indices. */
function runsOf(n: number, voxels: number[]): number[] {
  const out: number[] = [];
  let pos = 0;
  let i = 0;
  while (i < voxels.length) {
    let j = i;
    while (j + 1 < voxels.length && voxels[j + 1] === voxels[j]! + 1) j++;
    out.push(voxels[i]! - pos, j - i + 1);
    pos = voxels[j]! + 1;
    i = j + 1;
  }
  out.push(n - pos);
  return out;
}

/** A small Enhanced CT (5 columns x 4 rows x 3 frames: frames are not byte-aligned at 1 bit) with its geometry. */
function enhancedCt(): Uint8Array {
  const [columns, rows, frames] = [5, 4, 3];
  const ds: Naturalized = {
    _vrMap: { PixelData: 'OW' },
    SpecificCharacterSet: 'ISO_IR 192',
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL', 'NONE'],
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2.1',
    SOPInstanceUID: '2.25.1001',
    StudyInstanceUID: '2.25.1002',
    SeriesInstanceUID: '2.25.1003',
    FrameOfReferenceUID: '2.25.1004',
    StudyDate: '20000101',
    StudyTime: '120000',
    ContentDate: '20000101',
    ContentTime: '120000',
    Modality: 'CT',
    PatientName: 'Anonymous',
    PatientID: 'SUTURE-1',
    PatientIdentityRemoved: 'YES',
    DeidentificationMethod: 'Suture PS3.15 Basic Profile',
    NumberOfFrames: frames,
    Rows: rows,
    Columns: columns,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 0,
    SharedFunctionalGroupsSequence: [
      { PixelMeasuresSequence: [{ PixelSpacing: [0.5, 0.5], SliceThickness: 2 }], PlaneOrientationSequence: [{ ImageOrientationPatient: [1, 0, 0, 0, 1, 0] }] },
    ],
    PerFrameFunctionalGroupsSequence: Array.from({ length: frames }, (_, z) => ({ PlanePositionSequence: [{ ImagePositionPatient: [-10, -20, 30 + 2 * z] }] })),
    PixelData: new Uint16Array(columns * rows * frames).buffer,
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: ds.SOPClassUID,
    MediaStorageSOPInstanceUID: ds.SOPInstanceUID,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '2.25.1005',
  };
  const file = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  file.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  return new Uint8Array(file.write());
}

function readSeg(bytes: Uint8Array): Naturalized {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(buffer).dict);
}

/** Every (segment label, source frame, pixel) that is set in a SEG read back by dcmjs, as "label:z:pixel". */
function setPixels(seg: Naturalized): string[] {
  const rows = seg.Rows as number;
  const columns = seg.Columns as number;
  const packed = new Uint8Array((seg.PixelData as ArrayBuffer[])[0]!);
  const labels = new Map((seg.SegmentSequence as Naturalized[]).map((s) => [s.SegmentNumber, s.SegmentDescription as string]));
  const out: string[] = [];
  (seg.PerFrameFunctionalGroupsSequence as Naturalized[]).forEach((f, i) => {
    const segment = (f.SegmentIdentificationSequence as Naturalized[])[0]!.ReferencedSegmentNumber;
    const source = (((f.DerivationImageSequence as Naturalized[])[0]!.SourceImageSequence as Naturalized[])[0]!.ReferencedFrameNumber as number) - 1;
    for (let p = 0; p < rows * columns; p++) {
      const bit = i * rows * columns + p;
      if ((packed[bit >> 3]! >> (bit & 7)) & 1) out.push(`${labels.get(segment)}:${source}:${p}`);
    }
  });
  return out.sort();
}

function dciodvfy(bytes: Uint8Array): { iod: string[]; errors: string[]; warnings: string[] } {
  const path = join(tempDir('suture-seg-'), 'seg.dcm');
  writeFileSync(path, bytes);
  const r = spawnSync('dciodvfy', ['-new', path], { encoding: 'utf8' });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim());
  return { iod: lines.filter((l) => !/^(Error|Warning)/.test(l)), errors: lines.filter((l) => l.startsWith('Error')), warnings: lines.filter((l) => l.startsWith('Warning')) };
}

describe('DICOM SEG', () => {
  it('is the standard volume format for DICOM assets; NIfTI stays the standard for NIfTI assets', () => {
    expect(standardFormatFor('volume', 'DICOM')?.id).toBe('dicom-seg');
    expect(standardFormatFor('volume', 'NIFTI')?.id).toBe('nifti');
    expect(standardFormatFor('volume')?.id).toBe('nifti');
    expect(standardFormatFor('volume', ['NIFTI', 'DICOM'])).toBeNull();
  });

  it.each([
    ['a real multi-frame MR without per-frame positions (emri_small.dcm)', () => new Uint8Array(readFileSync('/work/shared/data/medical/dicom/emri_small.dcm')), [64, 64, 10]],
    ['a small Enhanced CT with its geometry', enhancedCt, [5, 4, 3]],
  ] as const)('writes a SEG of %s that dciodvfy passes and dcmjs reads back voxel for voxel', async (_name, file, dimsIn) => {
    const dims = [...dimsIn] as [number, number, number];
    const [X, Y, Z] = dims;
    const n = X * Y * Z;
    const at = (x: number, y: number, z: number) => x + X * (y + Y * z);
    // Liver: a block over frames 0-1 crossing rows; tumour: three voxels on the last frame (the last one the last voxel).
    const liver = [at(1, 1, 0), at(2, 1, 0), at(3, 1, 0), at(0, 2, 0), at(X - 1, Y - 1, 0), at(0, 0, 1), at(1, 0, 1)].sort((a, b) => a - b);
    const tumour = [at(2, 2, Z - 1), at(3, 2, Z - 1), n - 1];
    const source = memorySource({
      schema: { geometry: 'volume', classes },
      dicomFiles: { vol1: file() },
      tasks: [
        {
          id: 't1',
          asset: dicomAsset('vol1', dims),
          consensus: {
            dims,
            segments: [
              { label: 'liver', rle: { counts: runsOf(n, liver) } },
              { label: 'tumour', rle: { counts: runsOf(n, tumour) } },
            ],
          },
        },
        { id: 't2', asset: dicomAsset('vol1', dims), consensus: { dims, segments: [] } },
      ],
    });
    const bytes = await collect(dicomSeg, source);
    expect((await collect(dicomSeg, source)).equals(bytes)).toBe(true);
    const files = unzipSync(new Uint8Array(bytes));
    expect(Object.keys(files).sort()).toEqual(['manifest.json', 'seg/t1.dcm']);
    const manifest = JSON.parse(strFromU8(files['manifest.json']!));
    expect(manifest.instances[1]).toMatchObject({ task: 't2', file: null, reason: 'the label has no voxel' });

    const segBytes = files['seg/t1.dcm']!;
    const check = dciodvfy(segBytes);
    // dciodvfy names the IOD it checked against: proof it ran and read the file as a Segmentation.
    expect(check.iod).toContain('Segmentation');
    expect(check.errors).toEqual([]);
    console.info(`dciodvfy warnings (${_name}):\n${check.warnings.join('\n')}`);

    const seg = readSeg(segBytes);
    const src = readSeg(file());
    expect(seg).toMatchObject({
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.66.4',
      Modality: 'SEG',
      SegmentationType: 'BINARY',
      Rows: Y,
      Columns: X,
      StudyInstanceUID: src.StudyInstanceUID,
    });
    expect((seg.SegmentSequence as Naturalized[]).map((s) => [s.SegmentNumber, s.SegmentLabel, s.SegmentDescription])).toEqual([
      [1, 'Liver', 'liver'],
      [2, 'Tumour', 'tumour'],
    ]);
    expect((seg.SegmentSequence as Naturalized[])[0]!.SegmentedPropertyTypeCodeSequence).toMatchObject([{ CodeValue: '85756007', CodingSchemeDesignator: 'SCT' }]);
    const refSeries = (seg.ReferencedSeriesSequence as Naturalized[])[0]!;
    expect(refSeries.SeriesInstanceUID).toBe(src.SeriesInstanceUID);
    expect((refSeries.ReferencedInstanceSequence as Naturalized[])[0]).toMatchObject({ ReferencedSOPClassUID: src.SOPClassUID, ReferencedSOPInstanceUID: src.SOPInstanceUID });
    // Liver on frames 0 and 1, tumour on the last: three frames, in source order within each segment.
    expect(seg.NumberOfFrames).toBe(3);
    expect(manifest.instances[0]).toMatchObject({ task: 't1', file: 'seg/t1.dcm', sopInstanceUID: seg.SOPInstanceUID, frames: 3, source: { sopInstanceUID: src.SOPInstanceUID } });
    const expected = [...liver.map((v) => `liver:${Math.floor(v / (X * Y))}:${v % (X * Y)}`), ...tumour.map((v) => `tumour:${Math.floor(v / (X * Y))}:${v % (X * Y)}`)].sort();
    expect(setPixels(seg)).toEqual(expected);
    if (src.FrameOfReferenceUID && src.PerFrameFunctionalGroupsSequence) {
      expect(seg.FrameOfReferenceUID).toBe(src.FrameOfReferenceUID);
      const positions = (seg.PerFrameFunctionalGroupsSequence as Naturalized[]).map((f) => (f.PlanePositionSequence as Naturalized[])[0]!.ImagePositionPatient);
      expect(positions).toEqual([
        [-10, -20, 30],
        [-10, -20, 32],
        [-10, -20, 34],
      ]);
    } else expect(seg.FrameOfReferenceUID).toBeUndefined();
  });

  it('refuses a label whose grid is not its source and a NIfTI asset', async () => {
    const source = (asset: ExportAsset) =>
      memorySource({
        schema: { geometry: 'volume', classes },
        dicomFiles: { vol1: enhancedCt() },
        tasks: [{ id: 't1', asset, consensus: { dims: [2, 2, 2], segments: [{ label: 'liver', rle: { counts: [0, 8] } }] } }],
      });
    await expect(collect(dicomSeg, source(dicomAsset('vol1', [2, 2, 2])))).rejects.toThrow('the label volume is 2×2×2 but its source is 5×4×3');
    await expect(collect(dicomSeg, source({ ...dicomAsset('vol1', [2, 2, 2]), kind: 'NIFTI' }))).rejects.toThrow(/DICOM SEG needs a DICOM source/);
  });
});
