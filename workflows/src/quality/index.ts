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
  dawidSkene,
  dawidSkeneEncoded,
  type DawidSkeneAnnotator,
  type DawidSkeneEncodedInput,
  type DawidSkeneEncodedResult,
  type DawidSkeneOptions,
  type DawidSkeneResult,
} from './consensus/dawid-skene.ts';

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
  rleArea,
  rleDecode,
  rleDice,
  rleEncode,
  rleFromString,
  rleIntersectionArea,
  rleIoU,
  rleMerge,
  rleToString,
  toRle,
  type Bitmap,
  type CompressedRle,
  type Rle,
} from './geometry/rle.ts';
export { COCO_PERSON_SIGMAS, objectKeypointSimilarity, type Keypoint } from './keypoints.ts';
export { pointToPolyline, polylineDistances, type PolylineDistances } from './polyline.ts';
export { hungarian, matchObjects, objectIoU, type AnnotatedObject, type ObjectMatch } from './objects.ts';
export { framesToSegments, segmentConsensus, segmentsToFrames, temporalAgreement, trackBoxAt, trackIoU, type Segment, type TemporalAgreement, type Track } from './video.ts';
export { squaredDistanceTransform, surfaceDistances, surfaceVoxels, volumeAgreement, type LabelAgreement, type LabelVolume, type VoxelArray } from './volume.ts';

// Segmentation and object consensus.
export { pixelMajorityVote, staple, thresholdProbability, type StapleOptions, type StapleResult } from './consensus/staple.ts';
export { annotatorReliability, fuseBoxes, fuseKeypoints, type AnnotatorReliability, type FusedBox, type WeightedBox } from './consensus/fusion.ts';
