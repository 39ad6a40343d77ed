// COCO object detection / segmentation / keypoints JSON (cocodataset.org/#format-data) of the consensus labels.
// One image per (asset, source frame). Boxes keep [x, y, w, h]; polygons become polygon segmentations, or an
// RLE when they have holes (COCO polygons cannot hold holes) with the exact area outline minus holes; masks
// stay compressed RLE (iscrowd 0) with the area counted from the RLE; keypoints carry the schema's order and
// skeleton (1-based). Images are listed after the annotations, so the writer never holds annotations.
import { ExportError, type ExportFormat } from '../format.ts';
import { imageOf, type ExportImage } from '../images.ts';
import {
  bitmapToCocoRle,
  boundsOf,
  decodeMask,
  polygonArea,
  rasterizePolygon,
  rleBounds,
  type BoxLabel,
  type KeypointsLabel,
  type MaskLabel,
  type PolygonLabel,
  type XYWH,
} from '../payloads.ts';
import { rleArea } from '../../quality/geometry/rle.ts';
import { consensusLine, EMPTY_LABELS_CONVENTION } from '../provenance.ts';

type CocoAnnotation = Record<string, unknown> & { category_id: number };

function categoryIds(classes: ReadonlyArray<{ key: string }>): (label: string) => number {
  const ids = new Map(classes.map((c, i) => [c.key, i + 1]));
  return (label) => {
    const id = ids.get(label);
    if (id === undefined) throw new ExportError('LABEL_INVALID', `label '${label}' is not a class of the campaign's schema`);
    return id;
  };
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;
const box = (b: readonly number[]): XYWH => b.map(round) as XYWH;

/** COCO annotations (without ids) of one consensus label on one image. */
export function cocoObjects(kind: string, data: unknown, image: ExportImage, category: (label: string) => number): CocoAnnotation[] {
  if (data === null || data === undefined) return [];
  switch (kind) {
    case 'bbox':
      return (data as BoxLabel).objects.map((o) => ({
        category_id: category(o.label),
        bbox: box(o.box),
        area: round(o.box[2] * o.box[3]),
        iscrowd: 0,
        segmentation: [],
        ...(o.confidence !== undefined ? { score: o.confidence } : {}),
        ...(o.attributes ? { attributes: o.attributes } : {}),
      }));
    case 'polygon':
      return (data as PolygonLabel).objects.map((o) => {
        const holes = o.rings.length > 1;
        if (holes && !(image.width > 0 && image.height > 0))
          throw new ExportError('MEDIA_MISSING', `a polygon with holes on ${image.fileName} needs the image size to become an RLE`);
        return {
          category_id: category(o.label),
          bbox: box(boundsOf(o.rings[0] ?? [])),
          area: round(polygonArea(o.rings)),
          iscrowd: 0,
          segmentation: holes ? bitmapToCocoRle(rasterizePolygon(o.rings, image.width, image.height)) : [o.rings[0]!.flatMap(([x, y]) => [round(x), round(y)])],
          ...(o.attributes ? { attributes: o.attributes } : {}),
        };
      });
    case 'mask':
      return (data as MaskLabel).objects.map((o) => {
        const rle = decodeMask(o.rle);
        return {
          category_id: category(o.label),
          bbox: rleBounds(rle),
          area: rleArea(rle),
          iscrowd: 0,
          segmentation: { size: o.rle.size, counts: o.rle.counts },
          ...(o.attributes ? { attributes: o.attributes } : {}),
        };
      });
    case 'keypoints':
      return (data as KeypointsLabel).objects.map((o) => {
        const visible = o.points.filter((p) => p[2] > 0);
        const b = box(boundsOf(visible));
        return {
          category_id: category(o.label),
          keypoints: o.points.flatMap(([x, y, v]) => [round(x), round(y), v]),
          num_keypoints: visible.length,
          bbox: b,
          area: round(b[2] * b[3]),
          iscrowd: 0,
          ...(o.attributes ? { attributes: o.attributes } : {}),
        };
      });
    default:
      throw new ExportError('FORMAT_MISMATCH', `COCO holds boxes, polygons, masks and keypoints, not ${kind}`);
  }
}

export const coco: ExportFormat = {
  id: 'coco',
  title: 'COCO JSON',
  kinds: ['bbox', 'polygon', 'mask', 'keypoints'],
  standardFor: ['bbox', 'polygon', 'mask', 'keypoints'],
  extension: 'json',
  contentType: 'application/json',
  async *write(source) {
    const { schema } = source.campaign;
    const kind = schema.geometry;
    const index = new Map(schema.keypoints.map((k, i) => [k, i + 1]));
    const categories = schema.classes.map((c, i) => ({
      id: i + 1,
      name: c.key,
      supercategory: 'object',
      title: c.name,
      ...(kind === 'keypoints' ? { keypoints: schema.keypoints, skeleton: schema.skeleton.map(([a, b]) => [index.get(a)!, index.get(b)!]) } : {}),
    }));
    const info = {
      description: source.campaign.name,
      version: `guidelines v${source.campaign.guidelinesVersion}`,
      contributor: 'Suture',
      campaign_id: source.campaign.id,
      batch_id: source.batchId,
      consensus_method: source.campaign.consensus.method,
      consensus: consensusLine(source.campaign),
      empty_masks: EMPTY_LABELS_CONVENTION,
    };
    yield `{"info":${JSON.stringify(info)},"licenses":[],"categories":${JSON.stringify(categories)},"annotations":[`;
    const category = categoryIds(schema.classes);
    const images = new Map<string, { id: number; image: ExportImage }>();
    let annotationId = 0;
    for await (const task of source.tasks()) {
      const image = await imageOf(source, task, task.consensus);
      let entry = images.get(image.key);
      if (!entry) {
        entry = { id: images.size + 1, image };
        images.set(image.key, entry);
      }
      let out = '';
      for (const a of cocoObjects(kind, task.consensus, image, category)) {
        annotationId += 1;
        out += `${annotationId === 1 ? '\n' : ',\n'}${JSON.stringify({ id: annotationId, image_id: entry.id, ...a, task_id: task.id })}`;
      }
      if (out) yield out;
    }
    yield '\n],"images":[';
    let n = 0;
    for (const { id, image } of images.values()) {
      yield `${n++ === 0 ? '\n' : ',\n'}${JSON.stringify({ id, file_name: image.fileName, width: image.width, height: image.height, asset_id: image.assetId, frame: image.frame })}`;
    }
    yield '\n]}\n';
  },
};
