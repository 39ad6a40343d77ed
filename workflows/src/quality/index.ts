/**
 * Suture quality engine: agreement, consensus and spot-check sampling for annotation campaigns.
 *
 * Pure TypeScript with no I/O, no Node built-ins, no clock and no Math.random, so it runs inside Temporal
 * workflow code as well as in the API. Randomness always comes from an explicit seed ({@link createRng}).
 * Bad input throws {@link QualityInputError} (with a `code`), never a silent NaN.
 *
 * Conventions (applied everywhere through the helpers in `conventions.ts`):
 * - Empty versus empty: two empty annotations (no pixels, no objects, no points, no segments) agree
 *   perfectly: IoU = Dice = 1 and distances = 0. One empty side against a non-empty one: IoU = Dice = 0 and
 *   distances (Hausdorff, HD95, mean surface distance) are `null` (no finite distance exists).
 * - No variation: a chance-corrected coefficient (kappa, alpha) whose expected disagreement is 0 (one single
 *   category everywhere) is 1.
 * - Categories are ordered numerically when every label is a number, otherwise by UTF-16 code units; ties
 *   resolved to "lowest" use that order.
 *
 * @packageDocumentation
 */

export { QualityInputError, type QualityInputErrorCode } from './errors.ts';
export { createRng, hashString, shuffled, type Rng, type Seed } from './random.ts';
export { overlapRatio, emptyDistance, chanceCorrected } from './conventions.ts';
export { labelKey, sortCategoryKeys, type Label, type CategoricalAnswer, type DuplicatePolicy } from './labels.ts';

// Categorical agreement.
export { cohenKappa, cohenKappaFromAnswers, fleissKappa, fleissKappaFromAnswers, percentAgreement, type CohenKappaOptions, type KappaWeights } from './categorical.ts';
export { krippendorffAlpha, krippendorffAlphaFromMatrix, krippendorffAlphaFromUnits, unitsFromAnswers, type KrippendorffOptions, type MeasurementLevel } from './krippendorff.ts';
export { bootstrapInterval, quantileSorted, type BootstrapInterval, type BootstrapOptions } from './bootstrap.ts';

// Categorical consensus.
export { majorityVote, majorityVoteEncoded, type CategoricalConsensus, type MajorityVoteOptions, type TaskConsensus, type TiePolicy } from './consensus/majority.ts';
export {
  CROWD_KIT_DAWID_SKENE,
  DAWID_SKENE_DEFAULTS,
  dawidSkene,
  dawidSkeneEncoded,
  type DawidSkeneAnnotator,
  type DawidSkeneEncodedInput,
  type DawidSkeneEncodedResult,
  type DawidSkeneInit,
  type DawidSkeneOptions,
  type DawidSkeneResult,
  type DawidSkeneSettings,
  type DawidSkeneStop,
} from './consensus/dawid-skene.ts';

// Crowd truth inference: every method returns the common result of method.ts; methods.ts runs any of them by name.
export type {
  AnnotatorReliability as CrowdAnnotatorReliability,
  Convergence,
  CrowdConsensusResult,
  CrowdMethodName,
  CrowdMethodOptions,
  MethodTaskResult,
  StopReason,
} from './consensus/method.ts';
export { oneCoinDawidSkene, type OneCoinOptions, type OneCoinResult } from './consensus/one-coin.ts';
export { wawa, type WawaOptions } from './consensus/wawa.ts';
export { zeroBasedSkill, type ZbsOptions } from './consensus/zbs.ts';
export { mace, type MaceOptions, type MaceResult } from './consensus/mace.ts';
export {
  CONSENSUS_METHOD_NAMES,
  CONSENSUS_METHODS,
  isConsensusMethod,
  majorityConsensus,
  runConsensusMethod,
  type ConsensusMethodDoc,
  type ConsensusOptionsByMethod,
  type MajorityConsensusOptions,
  type MethodOptionDoc,
  type MethodOptionType,
} from './consensus/methods.ts';
// GLAD, KOS and M-MSR are exported at the end of this file.

// Spot-check sampling and lot acceptance.
export {
  acceptanceProbability,
  lotDecision,
  operatingCharacteristic,
  z14CodeLetter,
  z14Plan,
  zeroAcceptancePlan,
  type LotDecision,
  type SamplingPlan,
  type Z14Plan,
  type ZeroAcceptancePlan,
} from './sampling/plans.ts';
export { Z14_AQLS, Z14_CODE_LETTERS, Z14_LOT_SIZE_TABLE, Z14_MASTER_TABLE, Z14_SAMPLE_SIZES, type Z14CodeLetter, type Z14InspectionLevel } from './sampling/z14-tables.ts';
export { clopperPearsonInterval, wilsonInterval, type ProportionInterval } from './sampling/intervals.ts';
export { drawSpotCheckSample, type SampleCandidate, type SpotCheckSample, type SpotCheckSampleSettings } from './sampling/sample.ts';
export { spotCheckPlan, type SpotCheckPlanSettings } from './sampling/index.ts';
export { binomialCdf, hypergeometricCdf, hypergeometricPmf, inverseRegularizedBeta, normalQuantile, regularizedBeta } from './sampling/distributions.ts';

// Geometry.
export { boxIoU, boxDice, boxIntersection, type Box } from './geometry/box.ts';
export { polygonArea, polygonDice, polygonIntersectionArea, polygonIoU, polygonOverlap, preparePolygon, type Point, type Polygon, type Region } from './geometry/polygon.ts';
export {
  bitmapDice,
  bitmapIoU,
  PreparedRle,
  prepareRle,
  rleArea,
  rleDecode,
  rleDice,
  rleEncode,
  rleFromString,
  rleIntersectionArea,
  rleIoU,
  rleIoUMatrix,
  rleMerge,
  rleToString,
  toRle,
  type Bitmap,
  type CompressedRle,
  type Rle,
} from './geometry/rle.ts';
export { instrumentMask, shiftedMask } from './geometry/synthetic-masks.ts';
export { COCO_PERSON_SIGMAS, objectKeypointSimilarity, type Keypoint } from './keypoints.ts';
export { pointToPolyline, polylineDistances, type PolylineDistances } from './polyline.ts';
export { hungarian, matchObjects, objectIoU, type AnnotatedObject, type ObjectMatch } from './objects.ts';
export { framesToSegments, segmentConsensus, segmentsToFrames, temporalAgreement, trackBoxAt, trackIoU, type Segment, type TemporalAgreement, type Track } from './video.ts';
export { squaredDistanceTransform, surfaceDistances, surfaceVoxels, volumeAgreement, type LabelAgreement, type LabelVolume, type VoxelArray } from './volume.ts';

// Segmentation and object consensus.
export { pixelMajorityVote, staple, thresholdProbability, type StapleOptions, type StapleResult } from './consensus/staple.ts';
export { annotatorReliability, fuseBoxes, fuseKeypoints, type AnnotatorReliability, type FusedBox, type WeightedBox } from './consensus/fusion.ts';

// GLAD, KOS and M-MSR (consensus/glad.ts, kos.ts, mmsr.ts).
export { glad, type GladOptions, type GladResult, type GladTaskResult } from './consensus/glad.ts';
export { kos, type KosOptions } from './consensus/kos.ts';
export { mmsr, type MmsrOptions } from './consensus/mmsr.ts';
