// What happens to an attribute that PS3.15 Table E.1-1 does not list: nothing is kept by default.
// A documented keep-list names the standard attributes known to carry no identity (image geometry,
// the pixel module, acquisition physics, coded values, equipment make and model); everything else is
// handled by its VR: person names and other names removed, free text cleaned (Clean Descriptors) or
// removed, identifiers removed, dates shifted (Modified Dates) or removed, UIDs remapped.
import { createRequire } from 'node:module';
import { T, elementOf, groupOf, isPrivateTag, nameOf } from './dictionary.ts';

/** Why an unlisted attribute survives: the keep-list's categories. */
export type KeepReason = 'coded value' | 'equipment' | 'acquisition' | 'pixel and presentation' | 'structure' | 'enumeration' | 'numeric';

/**
 * Known-safe standard attributes with text VRs (LO, SH, ST, LT, UT, UC, UR). Numeric VRs and CS
 * enumerations are safe by VR (below) and need no entry. An entry here is kept verbatim.
 */
const keepList: Record<Exclude<KeepReason, 'enumeration' | 'numeric'>, string[]> = {
  'coded value': [
    'CodeValue',
    'CodingSchemeDesignator',
    'CodingSchemeVersion',
    'CodeMeaning',
    'LongCodeValue',
    'URNCodeValue',
    'CodingSchemeRegistry',
    'CodingSchemeName',
    'CodingSchemeResponsibleOrganization',
    'CodingSchemeURL',
    'MappingResourceName',
  ],
  equipment: [
    'Manufacturer',
    'ManufacturerModelName',
    'SoftwareVersions',
    'ManufacturerRelatedModelGroup',
    'SecondaryCaptureDeviceManufacturer',
    'SecondaryCaptureDeviceManufacturerModelName',
    'SecondaryCaptureDeviceSoftwareVersions',
    'DetectorManufacturerName',
    'DetectorManufacturerModelName',
    'ReceiveCoilManufacturerName',
    'TransmitCoilManufacturerName',
    'ApplicationName',
    'ApplicationVersion',
    'ApplicationManufacturer',
    'ManufacturerModelVersion',
    'AlgorithmName',
    'AlgorithmVersion',
    'SegmentAlgorithmName',
    'ImplementationVersionName',
  ],
  acquisition: [
    'SequenceName',
    'PulseSequenceName',
    'ConvolutionKernel',
    'ReceiveCoilName',
    'TransmitCoilName',
    'MultiCoilElementName',
    'MultiCoilConfiguration',
    'ImagedNucleus',
    'FilterType',
    'TypeOfFilters',
    'CollimatorGridName',
    'ImageFilter',
    'PlateType',
    'PhosphorType',
    'VideoImageFormatAcquired',
    'DigitalImageFormatAcquired',
    'TimeSource',
    'ContrastBolusRoute',
    'RadiopharmaceuticalRoute',
    'Radiopharmaceutical',
    'TriggerSourceOrType',
    'CardiacFramingType',
    'PVCRejection',
    'AcquisitionDeviceProcessingCode',
    'ProcessingFunction',
    'TransducerData',
    'EnergyWindowName',
    'AttenuationCorrectionMethod',
    'ReconstructionMethod',
    'DetectorLinesOfResponseUsed',
    'ScatterCorrectionMethod',
    'DetectorMode',
    'GridAbsorbingMaterial',
    'GridSpacingMaterial',
    'ViewName',
    'StageName',
    'OutputPower',
    'StackID',
    'OpticalPathIdentifier',
    'ReferencedOpticalPathIdentifier',
    'WedgeID',
    'BolusID',
    'MaterialID',
    'CompensatorID',
    'CompensatorTrayID',
    'BlockTrayID',
    'ApplicatorID',
    'SnoutID',
    'RangeShifterID',
    'LateralSpreadingDeviceID',
    'RangeModulatorID',
    'GeneralAccessoryID',
    'ChannelShieldID',
    'SourceApplicatorID',
    'BrachyAccessoryDeviceID',
    'FluenceModeID',
    'BeamCurrentModulationID',
    'ScanSpotTuneID',
    'AfterloaderChannelID',
    'SourceIsotopeName',
  ],
  'pixel and presentation': [
    'WindowCenterWidthExplanation',
    'RescaleType',
    'LUTExplanation',
    'ModalityLUTType',
    'LUTLabel',
    'PositionReferenceIndicator',
    'MIMETypeOfEncapsulatedDocument',
    'ListOfMIMETypes',
    'FontName',
    'CSSFontName',
  ],
  structure: [
    // Labels that the IODs make Type 1 and that name technical things (a segment, a dimension, a private block).
    'SegmentLabel',
    'DimensionDescriptionLabel',
    'PrivateCreatorReference',
    'DimensionIndexPrivateCreator',
    'FunctionalGroupPrivateCreator',
    'SelectorSequencePointerPrivateCreator',
    'SelectorAttributePrivateCreator',
    'AttributeOccurrencePrivateCreator',
    'DeidentificationMethod',
  ],
};

/** UIDs that name a class or a syntax, not an instance: never remapped. */
const uidClassKeywords = [
  'SOPClassUID',
  'TransferSyntaxUID',
  'MediaStorageSOPClassUID',
  'ReferencedSOPClassUID',
  'SOPClassesInStudy',
  'CodingSchemeUID',
  'ContextUID',
  'MappingResourceUID',
  'RelatedGeneralSOPClassUID',
  'OriginalSpecializedSOPClassUID',
  'ReferencedSOPClassUIDInFile',
  'ReferencedTransferSyntaxUIDInFile',
  'ReferencedRelatedGeneralSOPClassUIDInFile',
  'SOPClassesSupported',
  'AvailableTransferSyntaxUID',
  'StoredInstanceTransferSyntaxUID',
  'FlowTransferSyntaxUID',
  'MACCalculationTransferSyntaxUID',
  'EncryptedContentTransferSyntaxUID',
  'PertinentSOPClassesInStudy',
  'PertinentSOPClassesInSeries',
];

/** Free text that common IODs make Type 2: emptied rather than removed when it cannot be cleaned, so the IOD stays valid. */
const type2TextKeywords = ['ContentDescription', 'DocumentTitle'];

/** Binary values that may hold a document or a picture of the patient: removed though their VR is binary. */
const binaryDenyKeywords = ['EncapsulatedDocument', 'MakerNote'];

const nameMap = (createRequire(import.meta.url)('dcmjs') as { data: { DicomMetaDictionary: { nameMap: Record<string, { tag: string } | undefined> } } }).data.DicomMetaDictionary
  .nameMap;

function tagOfKeyword(keyword: string): number {
  const entry = nameMap[keyword];
  if (!entry) throw new Error(`keep-list: unknown DICOM keyword ${keyword}`);
  return parseInt(entry.tag.slice(1, 5) + entry.tag.slice(6, 10), 16) >>> 0;
}

const keptTags = new Map<number, KeepReason>();
for (const [reason, keywords] of Object.entries(keepList) as Array<[KeepReason, string[]]>) for (const k of keywords) keptTags.set(tagOfKeyword(k), reason);
/** Class and syntax UIDs (never remapped). */
export const uidClassTags: ReadonlySet<number> = new Set(uidClassKeywords.map(tagOfKeyword));
const binaryDeny = new Set(binaryDenyKeywords.map(tagOfKeyword));
const type2Text = new Set(type2TextKeywords.map(tagOfKeyword));

const numericVRs = new Set(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'SV', 'UV', 'IS', 'DS', 'AT']);
const binaryVRs = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV']);
export const freeTextVRs: ReadonlySet<string> = new Set(['LO', 'SH', 'LT', 'ST', 'UT', 'UC']);
/** Groups about the patient and the visit: nothing unlisted there is kept, whatever its VR. */
const patientGroups = new Set([0x0010, 0x0038]);

/** The keep-list as (keyword, reason) pairs, for documentation and tests. */
export function keepListEntries(): Array<{ keyword: string; reason: KeepReason }> {
  return [...keptTags].map(([tag, reason]) => ({ keyword: nameOf(tag), reason }));
}

export type UnlistedAction =
  | { action: 'K'; reason: KeepReason }
  | { action: 'U' }
  | { action: 'X'; reason: 'person name' | 'identifier' | 'free text' | 'date' | 'unknown' | 'patient group' | 'document' | 'address' }
  | { action: 'Z'; reason: 'free text' }
  | { action: 'C' }
  | { action: 'shift' }
  | { action: 'walk' };

export interface UnlistedContext {
  /** free text is scrubbed (Clean Descriptors, or inside a sequence the options clean) rather than removed */
  cleanText: boolean;
  /** dates are shifted (Retain Longitudinal Temporal Information with Modified Dates) */
  shiftDates: boolean;
  /** dates are kept (Retain Longitudinal Temporal Information with Full Dates) */
  keepDates: boolean;
  /** UIDs are kept (Retain UIDs) */
  keepUIDs: boolean;
}

const identifierKeyword = /(?:ID|IDs|Identifier|Identifiers|Number|Numbers|SerialNumber|Barcode)$/;

/** The action for an attribute Table E.1-1 does not list. `value` is the UID text for UI elements. */
export function unlistedActionFor(tag: number, vr: string, ctx: UnlistedContext, value?: string): UnlistedAction {
  if (vr === 'SQ') return { action: 'walk' };
  const kept = keptTags.get(tag);
  if (kept) return { action: 'K', reason: kept };
  if (isPrivateTag(tag)) return { action: 'X', reason: 'unknown' };
  const keyword = nameOf(tag);
  if (patientGroups.has(groupOf(tag)) && tag !== T.PatientIdentityRemoved) return { action: 'X', reason: 'patient group' };
  if (vr === 'UI') {
    if (ctx.keepUIDs || uidClassTags.has(tag)) return { action: 'K', reason: 'coded value' };
    const uids = (value ?? '').split('\\').filter((u) => u.trim() !== '');
    // Well-known UIDs of the standard (classes, syntaxes, coding schemes) identify no one.
    if (uids.every((u) => u.trim().startsWith('1.2.840.10008.'))) return { action: 'K', reason: 'coded value' };
    return { action: 'U' };
  }
  if (vr === 'DA' || vr === 'DT' || vr === 'TM') {
    if (ctx.keepDates) return { action: 'K', reason: 'acquisition' };
    if (ctx.shiftDates) return { action: 'shift' };
    return { action: 'X', reason: 'date' };
  }
  if (vr === 'PN') return { action: 'X', reason: 'person name' };
  if (vr === 'CS') return { action: 'K', reason: 'enumeration' };
  if (numericVRs.has(vr)) return { action: 'K', reason: 'numeric' };
  if (binaryVRs.has(vr)) return binaryDeny.has(tag) ? { action: 'X', reason: 'document' } : { action: 'K', reason: 'pixel and presentation' };
  if (vr === 'AE' || vr === 'UR') return { action: 'X', reason: 'address' };
  if (vr === 'AS') return { action: 'X', reason: 'patient group' };
  if (freeTextVRs.has(vr)) {
    if (identifierKeyword.test(keyword)) return { action: 'X', reason: 'identifier' };
    if (ctx.cleanText) return { action: 'C' };
    return type2Text.has(tag) ? { action: 'Z', reason: 'free text' } : { action: 'X', reason: 'free text' };
  }
  // UN and anything else the dictionary does not know.
  return { action: 'X', reason: 'unknown' };
}

/** Group length elements (gggg,0000) carry no value of their own. */
export function isGroupLength(tag: number): boolean {
  return elementOf(tag) === 0;
}
