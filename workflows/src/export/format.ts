// What an export format is and what it reads: a format module declares its id, the annotation kinds it
// takes, its file name and content type, and a writer that turns an export source into chunks. Writers
// stream: they hold one task (and per-image bookkeeping) at a time, never the whole export.
import type { GeometryKind, LabelSchema } from '../domain/label-schema.ts';

export type AssetKind = 'IMAGE' | 'VIDEO' | 'DICOM' | 'NIFTI';

export interface ExportAsset {
  id: string;
  kind: AssetKind;
  /** The uploaded file's name when Suture stores one; it does not (a name may carry PHI), so always null today. */
  fileName: string | null;
  width: number | null;
  height: number | null;
  /** Frames of the proxy (video) or slices (volume); null when unknown. */
  frameCount: number | null;
  volume: { dims: [number, number, number]; spacing?: [number, number, number] } | null;
}

/** One submitted label of the accepted round, by a pseudonymous annotator (HMAC of the user id). */
export interface ExportLabel {
  annotator: string;
  data: unknown;
  /** The campaign's guideline version in force when the label was written (null: written before versions were recorded). */
  guidelineVersion?: number | null;
}

export interface ExportTask {
  id: string;
  batchId: string;
  asset: ExportAsset | null;
  /** The task's frame as stored: a proxy frame for video, a slice for volumes; null for whole-asset tasks. */
  frame: number | null;
  round: number;
  consensus: unknown;
  consensusMethod: string | null;
  agreement: number | null;
  agreementMetric: string | null;
  labels: ExportLabel[];
  review: { decision: string; reviewer: string; chosenAnnotator: string | null } | null;
  /** The task had a pre-label suggestion from the campaign's model. */
  prelabeled: boolean;
}

export interface ExportCampaign {
  id: string;
  name: string;
  schema: LabelSchema;
  guidelinesVersion: number;
  prelabelModelKey: string | null;
  consensus: ExportConsensus;
}

/** One annotator's estimated reliability under the campaign's consensus method, by pseudonym. */
export interface ExportAnnotatorReliability {
  annotator: string;
  answers: number;
  reliability: number;
  /** Dawid-Skene: confusion[true][given] in `categories` order. */
  confusion?: number[][];
  /** MACE competence, GLAD alpha, or the method's own skill. */
  skill?: number;
}

/** The campaign's consensus method as exports record it (each task's own method is its `consensusMethod`). */
export interface ExportConsensus {
  /** The configured method id (the annotation type's default when none was set), and its name. */
  method: string;
  title: string;
  /** Tasks with two or more labels before a fitted method decides; null for methods that fit nothing. */
  minTasks: number | null;
  seed: string | number | null;
  options: Record<string, unknown>;
  /** The method the campaign's labels give now ('majority' until a fitted method has enough labels). */
  effectiveMethod: string;
  /** The annotators' reliability under `effectiveMethod`, fitted on the campaign's labels at export; empty for kinds that fit none. */
  categories: string[];
  annotators: ExportAnnotatorReliability[];
  convergence: { iterations: number; converged: boolean } | null;
  /** Set when the stored setting no longer fits the campaign's type: why (nothing else is then recorded). */
  problems?: string[];
}

/**
 * Maps a video's proxy frames (what labels store) to source frames (what exports give), from its frames.json.
 * Images and volumes map every frame to itself and have no times.
 */
export interface FrameMapping {
  /** The source frame that proxy frame n shows. */
  source(n: number): number;
  /** Seconds from the source's first frame to proxy frame n; null when the asset has no timeline. */
  seconds(n: number): number | null;
  /** Frames per second of the proxy; null when the asset has no timeline. */
  fps: number | null;
  /** Proxy frames; null when unknown. */
  frameCount: number | null;
  /** Frames of the source file; null when unknown. */
  sourceFrameCount: number | null;
}

export interface ExportSource {
  campaign: ExportCampaign;
  /** The batch exported, or null for every accepted task of the campaign. */
  batchId: string | null;
  /** Accepted tasks in task id order; iterating again reads them again (same order, same content). */
  tasks(): AsyncIterable<ExportTask>;
  /** The asset's proxy-to-source frame mapping (throws when a video has no frame index). */
  frames(asset: ExportAsset): Promise<FrameMapping>;
  /** The raw header (348 or 540 bytes, decompressed) of the asset's de-identified NIfTI volume. */
  niftiHeader(asset: ExportAsset): Promise<Uint8Array>;
  /** The asset's de-identified DICOM file up to its pixel data (preamble, File Meta and every element before it). */
  dicomHeader(asset: ExportAsset): Promise<Uint8Array>;
}

export type ExportChunk = string | Uint8Array;

export interface ExportFormat {
  id: string;
  title: string;
  /** Annotation kinds this format can hold. */
  kinds: readonly GeometryKind[];
  /** File extension of the export, without the dot (`json`, `zip`, `xml` ...). */
  extension: string;
  contentType: string;
  /** Kinds for which this is the standard format written beside the native export when a batch completes. */
  standardFor?: readonly GeometryKind[];
  /** The media it reads, when it reads one kind only (a NIfTI label map needs NIfTI volumes); absent = any. */
  assetKinds?: readonly AssetKind[];
  write(source: ExportSource): AsyncIterable<ExportChunk>;
}

/** An export that cannot be made as asked (a format that does not fit the campaign, media that is missing). */
export class ExportError extends Error {
  constructor(
    readonly code: 'FORMAT_UNKNOWN' | 'FORMAT_MISMATCH' | 'MEDIA_MISSING' | 'LABEL_INVALID' | 'DUPLICATE_IMAGE',
    message: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}

/** The identity mapping of an asset without a timeline (image, volume slice). */
export const identityFrames: FrameMapping = { source: (n) => n, seconds: () => null, fps: null, frameCount: null, sourceFrameCount: null };
