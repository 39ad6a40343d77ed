// DICOM header summary and grouping of instances into studies and series.
import { T } from './dictionary.ts';
import { type DicomFile, numberOf, stringOf } from './parse.ts';
import { type Geometry, displaySupport, geometryOf, pixelModule } from './pixels.ts';

export interface DicomProbe {
  kind: 'dicom';
  transferSyntaxUID: string;
  transferSyntaxName: string;
  displayable: boolean;
  notDisplayableReason?: string;
  hadFileMeta: boolean;
  sopClassUID?: string;
  sopInstanceUID?: string;
  studyInstanceUID?: string;
  seriesInstanceUID?: string;
  modality?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  rows: number;
  columns: number;
  numberOfFrames: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  photometricInterpretation: string;
  hasPixelData: boolean;
  burnedInAnnotation?: string;
  geometry: Geometry;
  warnings: string[];
}

/** Technical summary of a DICOM file. Holds UIDs (for grouping) but no patient attributes. */
export function summarizeDicom(file: DicomFile): DicomProbe {
  const ds = file.dataset;
  const pm = pixelModule(file);
  const support = displaySupport(file.transferSyntaxUID);
  const hasPixelData = ds.has(T.PixelData);
  const warnings: string[] = [];
  if (!file.hadFileMeta) warnings.push('MISSING_FILE_META: no preamble and no File Meta; read as a raw data set');
  const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));
  return {
    kind: 'dicom',
    transferSyntaxUID: file.transferSyntaxUID,
    transferSyntaxName: support.transferSyntaxName,
    displayable: hasPixelData && support.displayable,
    ...(hasPixelData && !support.displayable ? { notDisplayableReason: support.reason } : {}),
    ...(!hasPixelData ? { notDisplayableReason: 'no pixel data' } : {}),
    hadFileMeta: file.hadFileMeta,
    ...opt('sopClassUID', stringOf(ds, T.SOPClassUID)),
    ...opt('sopInstanceUID', stringOf(ds, T.SOPInstanceUID)),
    ...opt('studyInstanceUID', stringOf(ds, T.StudyInstanceUID)),
    ...opt('seriesInstanceUID', stringOf(ds, T.SeriesInstanceUID)),
    ...opt('modality', stringOf(ds, T.Modality)),
    ...opt('seriesNumber', numberOf(ds, T.SeriesNumber)),
    ...opt('instanceNumber', numberOf(ds, T.InstanceNumber)),
    rows: pm.rows,
    columns: pm.columns,
    numberOfFrames: hasPixelData ? pm.numberOfFrames : 0,
    samplesPerPixel: pm.samplesPerPixel,
    bitsAllocated: pm.bitsAllocated,
    bitsStored: pm.bitsStored,
    photometricInterpretation: pm.photometricInterpretation,
    hasPixelData,
    ...opt('burnedInAnnotation', stringOf(ds, T.BurnedInAnnotation)),
    geometry: geometryOf(file),
    warnings,
  };
}

export interface SeriesGroup<T> {
  seriesInstanceUID: string;
  modality?: string;
  seriesNumber?: number;
  /** instances sorted by instance number, then by position along the slice normal */
  instances: T[];
}

export interface StudyGroup<T> {
  studyInstanceUID: string;
  series: Array<SeriesGroup<T>>;
}

/** Groups probed instances into studies and series; `key` carries the caller's handle (path, asset id). */
export function groupStudies<T extends { probe: DicomProbe }>(items: T[]): Array<StudyGroup<T>> {
  const studies = new Map<string, Map<string, SeriesGroup<T>>>();
  for (const item of items) {
    const study = item.probe.studyInstanceUID ?? '(no study)';
    const seriesUid = item.probe.seriesInstanceUID ?? '(no series)';
    const seriesMap = studies.get(study) ?? new Map<string, SeriesGroup<T>>();
    studies.set(study, seriesMap);
    const series = seriesMap.get(seriesUid) ?? {
      seriesInstanceUID: seriesUid,
      ...(item.probe.modality ? { modality: item.probe.modality } : {}),
      ...(item.probe.seriesNumber !== undefined ? { seriesNumber: item.probe.seriesNumber } : {}),
      instances: [],
    };
    seriesMap.set(seriesUid, series);
    series.instances.push(item);
  }
  const along = (p: DicomProbe): number => {
    const o = p.geometry.imageOrientationPatient;
    const pos = p.geometry.imagePositionPatient;
    if (!o || !pos) return 0;
    const n = [o[1]! * o[5]! - o[2]! * o[4]!, o[2]! * o[3]! - o[0]! * o[5]!, o[0]! * o[4]! - o[1]! * o[3]!];
    return n[0]! * pos[0]! + n[1]! * pos[1]! + n[2]! * pos[2]!;
  };
  return [...studies.entries()].map(([studyInstanceUID, series]) => ({
    studyInstanceUID,
    series: [...series.values()]
      .map((s) => ({ ...s, instances: s.instances.sort((a, b) => (a.probe.instanceNumber ?? 0) - (b.probe.instanceNumber ?? 0) || along(a.probe) - along(b.probe)) }))
      .sort((a, b) => (a.seriesNumber ?? 0) - (b.seriesNumber ?? 0)),
  }));
}
