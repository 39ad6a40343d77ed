// DICOM Segmentation (SEG) of volume tasks on DICOM assets, as a zip: one binary SEG instance per task
// (seg/<task>.dcm) referencing the asset's de-identified source by its UIDs, and manifest.json naming the
// instance, source and segments of each task. One segment per class present (label = class name, a generic
// SNOMED "Tissue" category and type, description = class key); per segment, the frames where it has pixels,
// in the source's frame order. With per-frame positions in the source the SEG shares its frame of reference
// (pixel measures, orientation, positions); without them it omits the frame of reference and points every
// frame at its source frame only. The header is built with dcmjs; the 1-bit pixel data streams one frame at
// a time. UIDs derive from the task (the same export gives the same bytes), and dates are the source's:
// de-identification shifts a study's dates, so the day of export would give the shift away.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { implementationClassUID } from '../../media/dicom/parse.ts';
import { ExportError, type ExportFormat, type ExportSource, type ExportTask } from '../format.ts';
import type { VolumeLabel } from '../payloads.ts';
import { ZipStream } from '../streams.ts';
import { consensusLine, EMPTY_LABELS_CONVENTION } from '../provenance.ts';

/** What Suture uses of dcmjs (it ships no types): Part 10 reading, naturalized datasets and writing. */
type Naturalized = Record<string, unknown>;
interface Dcmjs {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: { untilTag?: string; ignoreErrors?: boolean }): { meta: object; dict: object } };
    DicomMetaDictionary: { naturalizeDataset(dict: object): Naturalized; denaturalizeDataset(dataset: Naturalized): object };
    DicomDict: new (meta: object) => { dict: object; write(): ArrayBuffer };
  };
}
const dcmjs = createRequire(import.meta.url)('dcmjs') as Dcmjs;

const SEGMENTATION_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** SOP classes whose instances hold several frames, referenced frame by frame. */
const ENHANCED_PREFIXES = [
  '1.2.840.10008.5.1.4.1.1.2.1',
  '1.2.840.10008.5.1.4.1.1.2.2',
  '1.2.840.10008.5.1.4.1.1.4.1',
  '1.2.840.10008.5.1.4.1.1.4.3',
  '1.2.840.10008.5.1.4.1.1.130',
];
const code = (value: string, scheme: string, meaning: string) => ({ CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: meaning });
/** A class of a campaign names no anatomy Suture knows: every segment is SNOMED CT "Tissue" (category and type). */
const TISSUE = code('85756007', 'SCT', 'Tissue');
const SOURCE_IMAGE = code('121322', 'DCM', 'Source image for image processing operation');
const SEGMENTATION = code('113076', 'DCM', 'Segmentation');
// Data element tags the dimension index points at.
const TAG = {
  SegmentIdentificationSequence: 0x0062000a,
  ReferencedSegmentNumber: 0x0062000b,
  PlanePositionSequence: 0x00209113,
  ImagePositionPatient: 0x00200032,
  FrameContentSequence: 0x00209111,
  InStackPositionNumber: 0x00209057,
};

/** A deterministic UID (2.25 form) of what the parts name. */
export function uidOf(...parts: string[]): string {
  const hash = createHash('sha256').update(parts.join('\0')).digest();
  return `2.25.${BigInt(`0x${hash.subarray(0, 16).toString('hex')}`).toString()}`;
}

const item = (v: unknown): Naturalized | undefined => (Array.isArray(v) ? (v[0] as Naturalized | undefined) : (v as Naturalized | undefined));
const numbers = (v: unknown): number[] | undefined => (Array.isArray(v) && v.length > 0 && v.every((x) => Number.isFinite(Number(x))) ? v.map(Number) : undefined);
const text = (v: unknown): string => (v === undefined || v === null ? '' : Array.isArray(v) ? String(v[0] ?? '') : String(v));

/** The referenced source: its identity and, when every frame's position is known, its geometry. */
export interface SegSource {
  dataset: Naturalized;
  frames: number;
  rows: number;
  columns: number;
  multiFrame: boolean;
  geometry: { orientation: number[]; spacing: number[]; sliceThickness?: number; positions: number[][] } | null;
}

/** Reads the de-identified source's header (Part 10 bytes up to its pixel data) with dcmjs. */
export function segSourceOf(header: Uint8Array): SegSource {
  const buffer = header.buffer.slice(header.byteOffset, header.byteOffset + header.byteLength) as ArrayBuffer;
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(buffer, { untilTag: '7FE00010' }).dict);
  const frames = Number(ds.NumberOfFrames ?? 1);
  const rows = Number(ds.Rows);
  const columns = Number(ds.Columns);
  if (!ds.SOPInstanceUID || !ds.SeriesInstanceUID || !ds.StudyInstanceUID || !(rows > 0) || !(columns > 0))
    throw new ExportError('MEDIA_MISSING', 'the de-identified DICOM has no SOP, series or study instance UID, or no image size');
  const shared = item(ds.SharedFunctionalGroupsSequence);
  const perFrame = Array.isArray(ds.PerFrameFunctionalGroupsSequence) ? (ds.PerFrameFunctionalGroupsSequence as Naturalized[]) : [];
  const group = (z: number, name: string): Naturalized | undefined => item(perFrame[z]?.[name]) ?? item(shared?.[name]);
  const positions: number[][] = [];
  for (let z = 0; z < frames; z++) {
    const p = numbers(group(z, 'PlanePositionSequence')?.ImagePositionPatient) ?? (frames === 1 ? numbers(ds.ImagePositionPatient) : undefined);
    if (p?.length === 3) positions.push(p);
  }
  const orientation = numbers(group(0, 'PlaneOrientationSequence')?.ImageOrientationPatient) ?? numbers(ds.ImageOrientationPatient);
  const measures = group(0, 'PixelMeasuresSequence');
  const spacing = numbers(measures?.PixelSpacing) ?? numbers(ds.PixelSpacing);
  const thickness = Number(measures?.SliceThickness ?? ds.SliceThickness);
  const located = ds.FrameOfReferenceUID && positions.length === frames && orientation?.length === 6 && spacing?.length === 2;
  const sopClass = text(ds.SOPClassUID);
  return {
    dataset: ds,
    frames,
    rows,
    columns,
    multiFrame: ds.NumberOfFrames !== undefined || ENHANCED_PREFIXES.includes(sopClass),
    geometry: located ? { orientation: orientation!, spacing: spacing!, ...(thickness > 0 ? { sliceThickness: thickness } : {}), positions } : null,
  };
}

/** The frames (0-based, ascending) where a segment's runs (x fastest) have a voxel. */
function framesOf(counts: readonly number[], frameLength: number): number[] {
  const out: number[] = [];
  let pos = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k]!;
    if (k % 2 === 1 && c > 0)
      for (let z = Math.max(Math.floor(pos / frameLength), out.length ? out[out.length - 1]! + 1 : 0); z <= Math.floor((pos + c - 1) / frameLength); z++) out.push(z);
    pos += c;
  }
  return out;
}

/** Walks one segment's runs forwards, painting the voxels of a range into a frame. */
class RunCursor {
  private run = 0;
  private start = 0;
  constructor(private readonly counts: readonly number[]) {}
  paint(from: number, frame: Uint8Array): void {
    frame.fill(0);
    const to = from + frame.length;
    while (this.run < this.counts.length && this.start + this.counts[this.run]! <= from) this.start += this.counts[this.run++]!;
    for (let k = this.run, s = this.start; k < this.counts.length && s < to; s += this.counts[k++]!)
      if (k % 2 === 1) frame.fill(1, Math.max(s, from) - from, Math.min(s + this.counts[k]!, to) - from);
  }
}

/** Packs 1-bit frames back to back (DICOM leaves no gap between frames), least significant bit first. */
class BitPacker {
  private byte = 0;
  private bits = 0;
  push(frame: Uint8Array): Uint8Array {
    const out = new Uint8Array(Math.floor((this.bits + frame.length) / 8));
    let o = 0;
    for (let i = 0; i < frame.length; i++) {
      if (frame[i]) this.byte |= 1 << this.bits;
      if (++this.bits === 8) {
        out[o++] = this.byte;
        this.byte = 0;
        this.bits = 0;
      }
    }
    return out;
  }
  /** The last partial byte and the pad byte that makes the value's length even. */
  end(total: number): Uint8Array {
    const tail = this.bits > 0 ? [this.byte] : [];
    const written = Math.ceil(total / 8);
    return new Uint8Array(written % 2 === 1 ? [...tail, 0] : tail);
  }
}

export interface SegOptions {
  /** UIDs of the SEG instance and its series; derived from the task when exporting. */
  seriesInstanceUID: string;
  sopInstanceUID: string;
  classes: ReadonlyArray<{ key: string; name: string }>;
  seriesNumber?: number;
}

/** What a SEG instance holds, for the manifest. */
export interface SegSummary {
  sopInstanceUID: string;
  seriesInstanceUID: string;
  frames: number;
  segments: Array<{ number: number; label: string; class: string; frames: number }>;
}

/**
 * One binary SEG instance of a volume label over its source, in chunks: the header (dcmjs) then the pixel
 * data one frame at a time. Null when the label has no voxel (a SEG holds at least one frame).
 */
export function segInstance(source: SegSource, data: VolumeLabel, options: SegOptions): { summary: SegSummary; chunks: Iterable<Uint8Array> } | null {
  const [X, Y, Z] = data.dims;
  if (X !== source.columns || Y !== source.rows || Z !== source.frames)
    throw new ExportError('LABEL_INVALID', `the label volume is ${X}×${Y}×${Z} but its source is ${source.columns}×${source.rows}×${source.frames} (columns×rows×frames)`);
  const frameLength = X * Y;
  const names = new Map(options.classes.map((c, i) => [c.key, { name: c.name, order: i }]));
  const present = data.segments
    .map((s) => {
      const c = names.get(s.label);
      if (!c) throw new ExportError('LABEL_INVALID', `label '${s.label}' is not a class of the campaign's schema`);
      return { segment: s, ...c, frames: framesOf(s.rle.counts, frameLength) };
    })
    .filter((s) => s.frames.length > 0)
    .sort((a, b) => a.order - b.order);
  if (present.length === 0) return null;

  const src = source.dataset;
  const g = source.geometry;
  const frameCount = present.reduce((n, s) => n + s.frames.length, 0);
  const dimensionUID = uidOf(options.sopInstanceUID, 'dimension-organization');
  const sourceRef = (z: number) => ({
    ReferencedSOPClassUID: text(src.SOPClassUID),
    ReferencedSOPInstanceUID: text(src.SOPInstanceUID),
    ...(source.multiFrame ? { ReferencedFrameNumber: z + 1 } : {}),
    PurposeOfReferenceCodeSequence: [SOURCE_IMAGE],
  });
  const perFrame = present.flatMap((s, i) =>
    s.frames.map((z) => ({
      FrameContentSequence: [g ? { DimensionIndexValues: [i + 1, z + 1] } : { DimensionIndexValues: [i + 1, z + 1], StackID: '1', InStackPositionNumber: z + 1 }],
      ...(g ? { PlanePositionSequence: [{ ImagePositionPatient: g.positions[z] }] } : {}),
      DerivationImageSequence: [{ SourceImageSequence: [sourceRef(z)], DerivationCodeSequence: [SEGMENTATION] }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: i + 1 }],
    })),
  );
  const date = text(src.ContentDate) || text(src.SeriesDate) || text(src.StudyDate);
  const time = text(src.ContentTime) || text(src.SeriesTime) || text(src.StudyTime);
  const copy = (names: string[]) => Object.fromEntries(names.filter((n) => src[n] !== undefined).map((n) => [n, src[n]]));
  const dataset: Naturalized = {
    SpecificCharacterSet: 'ISO_IR 192',
    ImageType: ['DERIVED', 'PRIMARY'],
    SOPClassUID: SEGMENTATION_SOP_CLASS,
    SOPInstanceUID: options.sopInstanceUID,
    ...(date ? { SeriesDate: date, ContentDate: date } : {}),
    ...(time ? { SeriesTime: time, ContentTime: time } : {}),
    Modality: 'SEG',
    Manufacturer: 'Suture',
    ManufacturerModelName: 'Suture',
    DeviceSerialNumber: 'suture',
    SoftwareVersions: '1',
    SeriesDescription: 'Suture consensus segmentation',
    // The de-identified source's patient and study, as they are: the SEG belongs to that study.
    PatientName: src.PatientName ?? '',
    PatientID: src.PatientID ?? '',
    PatientBirthDate: src.PatientBirthDate ?? '',
    PatientSex: src.PatientSex ?? '',
    StudyDate: src.StudyDate ?? '',
    StudyTime: src.StudyTime ?? '',
    ReferringPhysicianName: src.ReferringPhysicianName ?? '',
    StudyID: src.StudyID ?? '',
    AccessionNumber: src.AccessionNumber ?? '',
    // "Identity removed" only with the method that removed it (DICOM requires one when it says YES).
    ...(src.DeidentificationMethod !== undefined || src.DeidentificationMethodCodeSequence !== undefined
      ? copy(['PatientIdentityRemoved', 'DeidentificationMethod', 'DeidentificationMethodCodeSequence'])
      : {}),
    ...copy(['StudyDescription']),
    StudyInstanceUID: src.StudyInstanceUID,
    SeriesInstanceUID: options.seriesInstanceUID,
    SeriesNumber: options.seriesNumber ?? 300,
    InstanceNumber: 1,
    // Without a patient orientation matrix the image's orientation is Type 2: empty when the source has none.
    ...(g ? {} : { PatientOrientation: src.PatientOrientation ?? '' }),
    ...(g ? { FrameOfReferenceUID: src.FrameOfReferenceUID, PositionReferenceIndicator: src.PositionReferenceIndicator ?? '' } : {}),
    ContentLabel: 'SUTURE',
    ContentDescription: 'Consensus of accepted labels',
    ContentCreatorName: '',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    NumberOfFrames: frameCount,
    Rows: Y,
    Columns: X,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    SegmentsOverlap: 'NO',
    SegmentSequence: present.map((s, i) => ({
      SegmentNumber: i + 1,
      SegmentLabel: s.name.slice(0, 64),
      SegmentDescription: s.segment.label.slice(0, 64),
      SegmentAlgorithmType: 'MANUAL',
      SegmentedPropertyCategoryCodeSequence: [TISSUE],
      SegmentedPropertyTypeCodeSequence: [TISSUE],
    })),
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionUID }],
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionUID,
        DimensionIndexPointer: TAG.ReferencedSegmentNumber,
        FunctionalGroupPointer: TAG.SegmentIdentificationSequence,
        DimensionDescriptionLabel: 'ReferencedSegmentNumber',
      },
      g
        ? {
            DimensionOrganizationUID: dimensionUID,
            DimensionIndexPointer: TAG.ImagePositionPatient,
            FunctionalGroupPointer: TAG.PlanePositionSequence,
            DimensionDescriptionLabel: 'ImagePositionPatient',
          }
        : {
            DimensionOrganizationUID: dimensionUID,
            DimensionIndexPointer: TAG.InStackPositionNumber,
            FunctionalGroupPointer: TAG.FrameContentSequence,
            DimensionDescriptionLabel: 'InStackPositionNumber',
          },
    ],
    SharedFunctionalGroupsSequence: [
      g
        ? {
            PixelMeasuresSequence: [{ PixelSpacing: g.spacing, ...(g.sliceThickness ? { SliceThickness: g.sliceThickness } : {}) }],
            PlaneOrientationSequence: [{ ImageOrientationPatient: g.orientation }],
          }
        : {},
    ],
    PerFrameFunctionalGroupsSequence: perFrame,
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: src.SeriesInstanceUID,
        ReferencedInstanceSequence: [{ ReferencedSOPClassUID: src.SOPClassUID, ReferencedSOPInstanceUID: src.SOPInstanceUID }],
      },
    ],
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SEGMENTATION_SOP_CLASS,
    MediaStorageSOPInstanceUID: options.sopInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: implementationClassUID,
    ImplementationVersionName: 'SUTURE_EXPORT_1',
  };
  const file = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  file.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  const header = new Uint8Array(file.write());

  const bits = frameCount * frameLength;
  const valueLength = Math.ceil(bits / 8) + (Math.ceil(bits / 8) % 2);
  if (valueLength > 0xfffffffe) throw new ExportError('LABEL_INVALID', 'the segmentation is too large for one DICOM instance');
  function* chunks(): Iterable<Uint8Array> {
    yield header;
    // Pixel Data (7FE0,0010), OB, explicit VR little endian: tag, VR, two reserved bytes, 32-bit length.
    const element = new Uint8Array(12);
    const view = new DataView(element.buffer);
    view.setUint16(0, 0x7fe0, true);
    view.setUint16(2, 0x0010, true);
    element.set([0x4f, 0x42], 4);
    view.setUint32(8, valueLength, true);
    yield element;
    const packer = new BitPacker();
    const frame = new Uint8Array(frameLength);
    for (const s of present) {
      const cursor = new RunCursor(s.segment.rle.counts);
      for (const z of s.frames) {
        cursor.paint(z * frameLength, frame);
        yield packer.push(frame);
      }
    }
    yield packer.end(bits);
  }
  return {
    summary: {
      sopInstanceUID: options.sopInstanceUID,
      seriesInstanceUID: options.seriesInstanceUID,
      frames: frameCount,
      segments: present.map((s, i) => ({ number: i + 1, label: s.name, class: s.segment.label, frames: s.frames.length })),
    },
    chunks: chunks(),
  };
}

async function* taskEntry(source: ExportSource, task: ExportTask, zip: ZipStream, manifest: unknown[]): AsyncGenerator<Uint8Array> {
  const data = task.consensus as VolumeLabel | null;
  if (!data || !task.asset) return;
  if (task.asset.kind !== 'DICOM')
    throw new ExportError(
      'FORMAT_MISMATCH',
      `asset ${task.asset.id} is a ${task.asset.kind.toLowerCase()} volume; DICOM SEG needs a DICOM source (use the NIfTI format for NIfTI volumes)`,
    );
  const seg = segSourceOf(await source.dicomHeader(task.asset));
  const { id: campaignId, schema } = source.campaign;
  const instance = segInstance(seg, data, {
    seriesInstanceUID: uidOf('suture/export/dicom-seg/series', campaignId, task.id, String(task.round)),
    sopInstanceUID: uidOf('suture/export/dicom-seg/instance', campaignId, task.id, String(task.round)),
    classes: schema.classes,
  });
  const referenced = {
    studyInstanceUID: text(seg.dataset.StudyInstanceUID),
    seriesInstanceUID: text(seg.dataset.SeriesInstanceUID),
    sopInstanceUID: text(seg.dataset.SOPInstanceUID),
  };
  if (!instance) {
    manifest.push({ task: task.id, asset: task.asset.id, file: null, reason: 'the label has no voxel', source: referenced });
    return;
  }
  const file = `seg/${task.id}.dcm`;
  manifest.push({ task: task.id, asset: task.asset.id, file, ...instance.summary, source: referenced });
  const entry = zip.entry(file);
  for (const chunk of instance.chunks) {
    entry.push(chunk);
    yield* zip.take();
  }
  entry.end();
  yield* zip.take();
}

export const dicomSeg: ExportFormat = {
  id: 'dicom-seg',
  title: 'DICOM SEG (one Segmentation instance per volume)',
  kinds: ['volume'],
  standardFor: ['volume'],
  assetKinds: ['DICOM'],
  extension: 'zip',
  contentType: 'application/zip',
  async *write(source) {
    const zip = new ZipStream();
    const manifest: unknown[] = [];
    for await (const task of source.tasks()) yield* taskEntry(source, task, zip, manifest);
    const provenance = { consensusMethod: source.campaign.consensus.method, consensus: consensusLine(source.campaign), emptyMasks: EMPTY_LABELS_CONVENTION };
    zip.add('manifest.json', `${JSON.stringify({ campaign: source.campaign.id, batchId: source.batchId, ...provenance, instances: manifest }, null, 2)}\n`);
    zip.end();
    yield* zip.take();
  },
};
