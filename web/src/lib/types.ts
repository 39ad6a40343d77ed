// TypeScript shapes of the GraphQL types the console reads (api/schema.graphql is the source of truth).

export type Role = 'ADMIN' | 'OPS_MANAGER' | 'ANNOTATOR' | 'EXPERT' | 'QA_AUDITOR' | 'FINANCE' | 'PRIVACY_OFFICER';
export const ROLES: readonly Role[] = ['ADMIN', 'OPS_MANAGER', 'ANNOTATOR', 'EXPERT', 'QA_AUDITOR', 'FINANCE', 'PRIVACY_OFFICER'];

export type CampaignStatus = 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'CLOSED';
export type QaVerdict = 'PASS' | 'FAIL';

export interface SessionUser {
  id: string;
  name: string;
  email: string;
  roles: Role[];
}

/** What a mutation or query returns when the server refused for an expected reason. */
export interface DomainErrorResult {
  __typename: 'DomainError';
  code: string;
  message: string;
}

export const geometryKinds = ['classification', 'bbox', 'polygon', 'mask', 'keypoints', 'polyline', 'track', 'phases', 'volume'] as const;
export type GeometryKind = (typeof geometryKinds)[number];

export interface LabelClass {
  key: string;
  name: string;
  color?: string;
}

export interface LabelSchema {
  geometry: GeometryKind;
  classes: LabelClass[];
  attributes?: Array<{ key: string; name: string; type: 'boolean' | 'enum' | 'number' | 'text'; options?: string[] }>;
  phases?: Array<{ key: string; name: string }>;
  keypoints?: string[];
  /** Pairs of keypoint names joined by a bone. */
  skeleton?: Array<[string, string]>;
  keypointSigmas?: number[];
  multiLabel?: boolean;
  phaseOverlap?: boolean;
  polylineTolerance?: number;
}

export interface QaSettings {
  plan?: 'zero-acceptance' | 'z14-level-ii';
  tolerableErrorRate?: number;
  confidence?: number;
  aql?: number;
  minPerStratum?: number;
  seed?: string;
}

/** [x, y, width, height] in the pixel coordinates of the image or video frame. */
export type Box = [number, number, number, number];
export interface BoxObject {
  label: string;
  box: Box;
  confidence?: number;
}
export interface ClassificationData {
  label: string;
  attributes?: Record<string, unknown>;
}
export interface BoxData {
  objects: BoxObject[];
  frame?: number;
}

export interface Prelabel {
  label?: string;
  confidence?: number;
  objects?: BoxObject[];
}

export interface BatchProgress {
  total: number;
  pending: number;
  open: number;
  labeled: number;
  inReview: number;
  accepted: number;
  excluded: number;
  labelsSubmitted: number;
  labelsNeeded: number;
  qaSampled: number;
  qaAudited: number;
  qaFailed: number;
  /** Assets waiting for a privacy officer: their tasks stay pending until released. */
  privacyWaiting: number;
}

export interface QaHistoryEntry {
  qaRound?: number;
  seed?: string;
  plan?: Record<string, unknown>;
  drawn?: number;
  reworkedReaudited?: number;
  decision?: string;
  failed?: number;
}

export interface BatchSummary {
  id: string;
  name: string;
  status: string;
  stage: string;
  qaRound: number;
  createdAt: string;
  progress: Pick<BatchProgress, 'total' | 'accepted'>;
}

export interface BatchDetail {
  id: string;
  name: string;
  status: string;
  stage: string;
  workflowStage: string | null;
  qaRound: number;
  qaHistory: unknown;
  prelabelNote: string | null;
  exportKey: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  campaign: { id: string; name: string };
  progress: BatchProgress;
}

export interface CampaignSummary {
  id: string;
  name: string;
  status: CampaignStatus;
  overlap: number;
  agreementThreshold: number;
  labelSchema: LabelSchema;
  createdAt: string;
}

export interface CampaignDetail extends CampaignSummary {
  description: string;
  guidelines: string;
  guidelinesVersion: number;
  qaSettings: QaSettings;
  budgetCents: number;
  claimSlaSeconds: number;
  reviewCredential: string | null;
  hasPrelabelModel: boolean;
  requiredSkills: Array<{ minLevel: number; skill: { key: string; name: string } }>;
  /** Campaign.mediaPolicy as stored (read it through asMediaPolicy). */
  mediaPolicy: unknown;
  batches: BatchSummary[];
}

export interface AnnotatorMetrics {
  userId: string;
  name: string;
  labelsSubmitted: number;
  acceptedLabels: number;
  activeHours: number;
  throughputPerHour: number | null;
  throughputPerDay: number | null;
  secondsPerTask: number | null;
  costCents: number;
  costPerAcceptedLabelCents: number | null;
  agreementWithConsensus: number | null;
  agreementWithPeers: number | null;
  kappaWithPeers: number | null;
  qaPassRate: number | null;
  qaPassLower: number | null;
  qaPassUpper: number | null;
}

export interface Skill {
  id: string;
  key: string;
  name: string;
}

export interface Asset {
  id: string;
  kind: string;
  contentType: string;
  url: string | null;
  metadata: Record<string, unknown>;
  /** frames.json of a READY video (proxy frame presentation times); absent where not selected. */
  frameIndexUrl?: string | null;
  /** The timeline's sprite strip of a READY video (metadata.sprite: count, tileWidth, interval); absent where not selected. */
  spriteUrl?: string | null;
  /** The de-identified volume (.nii.gz) of a READY NIfTI asset; absent where not selected. */
  volumeUrl?: string | null;
}

export type AssetStatus = 'AWAITING_UPLOAD' | 'QUARANTINED' | 'READY' | 'FAILED';

/** An asset as the ops campaign page lists it (`assets(campaignId)`). */
export interface CampaignAsset extends Asset {
  status: AssetStatus;
  /** The uploader's file name (managers and privacy officers only); null when not given or not theirs to see. */
  fileName: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** download, hash, probe, deidentify, proxy, derivatives, then done or failed; null before ingest starts. */
  ingestStep: string | null;
  /** Progress within ingestStep, 0..1; null where unknown. */
  ingestProgress: number | null;
  needsHumanReview: boolean;
  /** The privacy gate: PENDING_REVIEW until a privacy officer releases (or rejects) it. */
  privacyStatus: PrivacyStatus;
  /** The officer's decision, when there was one (its reason when rejected). */
  privacyReview: { decidedAt: string | null; reason: string | null } | null;
  /** The original is kept envelope-encrypted (media policy RETAIN_ENCRYPTED). */
  originalRetained: boolean;
  /** The timeline's sprite strip of a READY video. */
  spriteUrl: string | null;
  trimStartSeconds: number | null;
  trimEndSeconds: number | null;
}

/** Presigned multipart upload (`requestAssetUpload`, `resumeAssetUpload`). */
export interface UploadPlan {
  __typename: 'UploadPlan';
  assetId: string;
  partSize: number;
  parts: Array<{ partNumber: number; url: string }>;
  uploadedParts: number[];
  expiresInSeconds: number;
}

export interface Annotation {
  id: string;
  version: number;
  data: unknown;
  submitted: boolean;
  createdAt: string;
}

export interface SubmittedLabel {
  id: string;
  data: unknown;
  createdAt: string;
  annotator: { name: string };
}

export interface WorkCampaign {
  id: string;
  name: string;
  labelSchema: LabelSchema;
  guidelines: string;
  guidelinesVersion: number;
}

export interface AssignmentSummary {
  id: string;
  kind: string;
  status: string;
  round: number;
  claimedAt: string;
  leaseExpiresAt: string;
  submittedAt: string | null;
  task: { id: string; campaign: { id: string; name: string }; asset: { kind: string } | null };
}

export interface WorkAssignment {
  id: string;
  kind: string;
  status: string;
  round: number;
  leaseExpiresAt: string;
  activeSeconds: number;
  task: {
    id: string;
    frameIndex: number | null;
    prelabel: Prelabel | null;
    modelConfidence: number | null;
    asset: Asset | null;
    campaign: WorkCampaign;
  };
  latestAnnotation: Pick<Annotation, 'id' | 'data' | 'version' | 'submitted'> | null;
}

export interface ReviewAssignment extends Omit<WorkAssignment, 'task'> {
  task: WorkAssignment['task'] & {
    agreement: number | null;
    agreementMetric: string | null;
    submittedLabels: SubmittedLabel[];
  };
}

export interface AuditItem {
  id: string;
  qaRound: number;
  stratum: string;
  task: {
    id: string;
    status: string;
    consensus: unknown;
    consensusMethod: string | null;
    agreement: number | null;
    frameIndex: number | null;
    asset: Asset | null;
    campaign: { id: string; name: string; labelSchema: LabelSchema };
  };
  batch: { id: string; name: string };
}

export interface CostReport {
  totalCents: number;
  acceptedLabels: number;
  costPerAcceptedLabelCents: number | null;
  budgetCents: number;
  byKind: Array<{ kind: string; cents: number; entries: number }>;
}

export interface LedgerEntry {
  id: string;
  kind: string;
  amountCents: number;
  currency: string;
  createdAt: string;
  user: { name: string } | null;
}

/** One event of the audit log (ids and counts, never PHI or label content). */
export interface AuditEvent {
  seq: string;
  at: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  entityType: string;
  entityId: string;
  data: Record<string, unknown>;
  /** Null until the sealer has chained it (about a second). */
  chainPosition: string | null;
}

export interface AuditVerification {
  ok: boolean;
  events: number;
  pending: number;
  headPosition: string | null;
  anchorPosition: string | null;
  anchorAt: string | null;
  anchorLocation: string | null;
  problem: { code: string; message: string; position: string | null; seq: string | null } | null;
}

/** An account as /admin/users lists it. */
export interface AdminUser {
  id: string;
  name: string;
  email: string;
  roles: Role[];
  active: boolean;
  skills: Array<{ level: number; skill: { key: string; name: string } }>;
  credentials: Array<{ kind: string; issuer: string; expiresAt: string | null }>;
}

export type PrivacyStatus = 'NOT_REQUIRED' | 'PENDING_REVIEW' | 'RELEASED' | 'REJECTED';

/** A box blacked out on every frame, in the pixels of the sampled frames; automatic ones came from de-identification. */
export interface RedactionBox {
  id: string | null;
  x: number;
  y: number;
  width: number;
  height: number;
  automatic: boolean;
}

export interface PrivacyFrame {
  frame: number;
  width: number;
  height: number;
  url: string;
  automaticBoxes: RedactionBox[];
}

/** One asset in the privacy officer's queue (`privacyReviewQueue`, and the box mutations' answers). */
export interface PrivacyReviewItem {
  reasons: string[];
  revision: number;
  appliedRevision: number;
  applying: boolean;
  boxes: RedactionBox[];
  automaticBoxCount: number;
  frames: PrivacyFrame[];
  asset: { id: string; kind: string; contentType: string; createdAt?: string; campaign: { id: string; name: string } };
}

/** Every task status, in lifecycle order (the task browser's filter). */
export const TASK_STATUSES = ['PENDING', 'OPEN', 'LABELED', 'IN_REVIEW', 'ACCEPTED', 'EXCLUDED'] as const;
