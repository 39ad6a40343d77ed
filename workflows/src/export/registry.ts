// The registry of export formats: id -> module. The export pipeline (run.ts), the worker's completeBatch,
// the API and the CLI ask it; adding a format is one module here and nothing else.
import type { GeometryKind } from '../domain/label-schema.ts';
import { ExportError, type AssetKind, type ExportFormat } from './format.ts';
import { coco } from './formats/coco.ts';
import { cvat } from './formats/cvat.ts';
import { dicomSeg } from './formats/dicom-seg.ts';
import { mot } from './formats/mot.ts';
import { native } from './formats/native.ts';
import { nifti } from './formats/nifti.ts';
import { phasesCsv } from './formats/phases-csv.ts';
import { yoloDetect, yoloSegment } from './formats/yolo.ts';

export const exportFormats: readonly ExportFormat[] = [native, coco, yoloDetect, yoloSegment, cvat, mot, phasesCsv, nifti, dicomSeg];

const byId = new Map(exportFormats.map((f) => [f.id, f]));

/** The format with this id; throws FORMAT_UNKNOWN naming the known ones. */
export function exportFormat(id: string): ExportFormat {
  const f = byId.get(id);
  if (!f) throw new ExportError('FORMAT_UNKNOWN', `unknown export format '${id}' (known: ${exportFormats.map((x) => x.id).join(', ')})`);
  return f;
}

/** Formats that can hold labels of this kind, native first. */
export function formatsFor(kind: GeometryKind): ExportFormat[] {
  return exportFormats.filter((f) => f.kinds.includes(kind));
}

/**
 * The standard format written beside the native export when a batch completes; null when none fits. A kind
 * may have one per kind of media (volumes: NIfTI label maps for NIfTI assets, DICOM SEG for DICOM assets):
 * pass the batch's asset kind to choose; without it, the first standard format of the kind.
 */
/**
 * The kind's standard format for a batch whose assets are of `assetKinds` (e.g. NIfTI label maps for NIfTI
 * volumes, DICOM SEG for DICOM ones): the first that takes every asset kind present; null when none does
 * (a batch mixing NIfTI and DICOM volumes gets the native export only).
 */
export function standardFormatFor(kind: GeometryKind, assetKinds?: AssetKind | readonly AssetKind[] | null): ExportFormat | null {
  const standard = exportFormats.filter((f) => f.standardFor?.includes(kind));
  const present = assetKinds === undefined || assetKinds === null ? [] : Array.isArray(assetKinds) ? assetKinds : [assetKinds as AssetKind];
  if (present.length === 0) return standard[0] ?? null;
  return standard.find((f) => !f.assetKinds || present.every((k) => f.assetKinds!.includes(k))) ?? null;
}

/** The format, checked against the campaign's kind: FORMAT_MISMATCH says which formats fit instead. */
export function exportFormatFor(id: string, kind: GeometryKind): ExportFormat {
  const f = exportFormat(id);
  if (!f.kinds.includes(kind))
    throw new ExportError(
      'FORMAT_MISMATCH',
      `format '${id}' (${f.title}) does not hold ${kind} labels; formats for ${kind}: ${formatsFor(kind)
        .map((x) => x.id)
        .join(', ')}`,
    );
  return f;
}

export { ExportError, type AssetKind, type ExportFormat } from './format.ts';
