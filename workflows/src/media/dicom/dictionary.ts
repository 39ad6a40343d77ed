// Tag names and VRs from dcmjs's DICOM data dictionary, plus the well-known tags this library uses.
import { createRequire } from 'node:module';

interface DictEntry {
  tag: string;
  vr: string;
  name: string;
}

const dcmjs: unknown = createRequire(import.meta.url)('dcmjs');
const dictionary = (dcmjs as { data: { DicomMetaDictionary: { dictionary: Record<string, DictEntry | undefined> } } }).data.DicomMetaDictionary.dictionary;

export function tagOf(group: number, element: number): number {
  return ((group << 16) | element) >>> 0;
}

export function groupOf(tag: number): number {
  return tag >>> 16;
}

export function elementOf(tag: number): number {
  return tag & 0xffff;
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

/** "(0010,0010)" */
export function formatTag(tag: number): string {
  return `(${hex4(groupOf(tag))},${hex4(elementOf(tag))})`;
}

export function parseTag(text: string): number {
  const m = /^\(?([0-9a-fA-F]{4}),?([0-9a-fA-F]{4})\)?$/.exec(text.trim());
  if (!m) throw new Error(`not a tag: ${text}`);
  return tagOf(parseInt(m[1]!, 16), parseInt(m[2]!, 16));
}

export function isPrivateTag(tag: number): boolean {
  return (groupOf(tag) & 1) === 1;
}

function lookup(tag: number): DictEntry | undefined {
  const g = hex4(groupOf(tag));
  const e = hex4(elementOf(tag));
  const exact = dictionary[`(${g},${e})`];
  if (exact) return exact;
  // Repeating groups: overlays (60xx), curves (50xx).
  if (/^(50|60)/.test(g)) return dictionary[`(${g.slice(0, 2)}xx,${e})`];
  return undefined;
}

export function vrOf(tag: number): string | undefined {
  if (elementOf(tag) === 0) return 'UL';
  if (isPrivateTag(tag) && elementOf(tag) >= 0x10 && elementOf(tag) <= 0xff) return 'LO';
  const vr = lookup(tag)?.vr;
  if (!vr) return undefined;
  // Ambiguous VRs in the dictionary ("US or SS", "OB or OW").
  if (vr.includes('OW')) return 'OW';
  if (vr.includes('US')) return 'US';
  return vr.slice(0, 2);
}

export function nameOf(tag: number): string {
  if (isPrivateTag(tag)) return elementOf(tag) >= 0x10 && elementOf(tag) <= 0xff ? 'PrivateCreator' : 'PrivateTag';
  if (elementOf(tag) === 0) return 'GroupLength';
  return lookup(tag)?.name ?? 'UnknownTag';
}

/** Tags used by the library, by keyword. */
export const T = {
  TransferSyntaxUID: tagOf(0x0002, 0x0010),
  MediaStorageSOPClassUID: tagOf(0x0002, 0x0002),
  MediaStorageSOPInstanceUID: tagOf(0x0002, 0x0003),
  ImplementationClassUID: tagOf(0x0002, 0x0012),
  ImplementationVersionName: tagOf(0x0002, 0x0013),
  SourceApplicationEntityTitle: tagOf(0x0002, 0x0016),
  FileMetaInformationVersion: tagOf(0x0002, 0x0001),
  FileMetaInformationGroupLength: tagOf(0x0002, 0x0000),
  SpecificCharacterSet: tagOf(0x0008, 0x0005),
  ImageType: tagOf(0x0008, 0x0008),
  SOPClassUID: tagOf(0x0008, 0x0016),
  SOPInstanceUID: tagOf(0x0008, 0x0018),
  StudyDate: tagOf(0x0008, 0x0020),
  Modality: tagOf(0x0008, 0x0060),
  StudyDescription: tagOf(0x0008, 0x1030),
  SeriesDescription: tagOf(0x0008, 0x103e),
  PatientName: tagOf(0x0010, 0x0010),
  PatientID: tagOf(0x0010, 0x0020),
  PatientBirthDate: tagOf(0x0010, 0x0030),
  PatientIdentityRemoved: tagOf(0x0012, 0x0062),
  DeidentificationMethod: tagOf(0x0012, 0x0063),
  DeidentificationMethodCodeSequence: tagOf(0x0012, 0x0064),
  StudyInstanceUID: tagOf(0x0020, 0x000d),
  SeriesInstanceUID: tagOf(0x0020, 0x000e),
  SeriesNumber: tagOf(0x0020, 0x0011),
  InstanceNumber: tagOf(0x0020, 0x0013),
  ImagePositionPatient: tagOf(0x0020, 0x0032),
  ImageOrientationPatient: tagOf(0x0020, 0x0037),
  FrameOfReferenceUID: tagOf(0x0020, 0x0052),
  SamplesPerPixel: tagOf(0x0028, 0x0002),
  PhotometricInterpretation: tagOf(0x0028, 0x0004),
  PlanarConfiguration: tagOf(0x0028, 0x0006),
  NumberOfFrames: tagOf(0x0028, 0x0008),
  Rows: tagOf(0x0028, 0x0010),
  Columns: tagOf(0x0028, 0x0011),
  PixelSpacing: tagOf(0x0028, 0x0030),
  BitsAllocated: tagOf(0x0028, 0x0100),
  BitsStored: tagOf(0x0028, 0x0101),
  HighBit: tagOf(0x0028, 0x0102),
  PixelRepresentation: tagOf(0x0028, 0x0103),
  BurnedInAnnotation: tagOf(0x0028, 0x0301),
  LongitudinalTemporalInformationModified: tagOf(0x0028, 0x0303),
  WindowCenter: tagOf(0x0028, 0x1050),
  WindowWidth: tagOf(0x0028, 0x1051),
  RescaleIntercept: tagOf(0x0028, 0x1052),
  RescaleSlope: tagOf(0x0028, 0x1053),
  LossyImageCompression: tagOf(0x0028, 0x2110),
  SliceThickness: tagOf(0x0018, 0x0050),
  SpacingBetweenSlices: tagOf(0x0018, 0x0088),
  SharedFunctionalGroupsSequence: tagOf(0x5200, 0x9229),
  PerFrameFunctionalGroupsSequence: tagOf(0x5200, 0x9230),
  PixelMeasuresSequence: tagOf(0x0028, 0x9110),
  PlaneOrientationSequence: tagOf(0x0020, 0x9116),
  PlanePositionSequence: tagOf(0x0020, 0x9113),
  FrameVOILUTSequence: tagOf(0x0028, 0x9132),
  PixelValueTransformationSequence: tagOf(0x0028, 0x9145),
  CodeValue: tagOf(0x0008, 0x0100),
  CodingSchemeDesignator: tagOf(0x0008, 0x0102),
  CodeMeaning: tagOf(0x0008, 0x0104),
  ExtendedOffsetTable: tagOf(0x7fe0, 0x0001),
  ExtendedOffsetTableLengths: tagOf(0x7fe0, 0x0002),
  PixelData: tagOf(0x7fe0, 0x0010),
  FloatPixelData: tagOf(0x7fe0, 0x0008),
  DoubleFloatPixelData: tagOf(0x7fe0, 0x0009),
  Item: tagOf(0xfffe, 0xe000),
  ItemDelimitation: tagOf(0xfffe, 0xe00d),
  SequenceDelimitation: tagOf(0xfffe, 0xe0dd),
} as const;
