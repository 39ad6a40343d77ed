// CVAT for images / video XML 1.1 (docs.cvat.ai "CVAT for images" and "CVAT for video" formats) of the
// consensus labels. Images (a still image, or a video frame or volume slice named by source frame): box,
// polygon, polyline, skeleton (keypoints), mask (CVAT's row-major RLE inside its box) and tag
// (classification). A polygon with holes becomes a mask, since CVAT polygons have none. Video: each
// track becomes a <track> of boxes on every source frame, keyframes marked, `outside` where the object is
// absent and one `outside` box after the last keyframe (the track ends there).
import type { LabelSchema } from '../../domain/label-schema.ts';
import { ExportError, type ExportFormat, type ExportSource, type ExportTask } from '../format.ts';
import { ImageOnce, imageOf, type ExportImage } from '../images.ts';
import {
  cvatMask,
  decodeMask,
  rasterizePolygon,
  rleDecode,
  trackFrames,
  type Attributes,
  type BoxLabel,
  type ClassificationLabel,
  type KeypointsLabel,
  type MaskLabel,
  type PolygonLabel,
  type PolylineLabel,
  type TrackLabel,
  type XYWH,
} from '../payloads.ts';
import { num, xmlEscape as x } from '../streams.ts';
import { consensusLine, EMPTY_LABELS_CONVENTION } from '../provenance.ts';

const inputType = { boolean: 'checkbox', enum: 'select', number: 'number', text: 'text' } as const;

function meta(schema: LabelSchema, name: string, mode: 'annotation' | 'interpolation', notes: readonly string[]): string {
  const attributes = schema.attributes
    .map(
      (a) =>
        `<attribute><name>${x(a.key)}</name><mutable>${mode === 'interpolation' ? 'True' : 'False'}</mutable><input_type>${inputType[a.type]}</input_type><default_value>${x(a.type === 'boolean' ? 'false' : (a.options?.[0] ?? ''))}</default_value><values>${x(a.type === 'boolean' ? 'false\ntrue' : (a.options ?? []).join('\n'))}</values></attribute>`,
    )
    .join('');
  const skeleton = schema.geometry === 'keypoints';
  const labels = schema.classes
    .map((c) => {
      const own = `<label><name>${x(c.key)}</name><color>${x(c.color ?? '')}</color><type>${skeleton ? 'skeleton' : 'any'}</type><attributes>${attributes}</attributes></label>`;
      if (!skeleton) return own;
      return own + schema.keypoints.map((k) => `<label><name>${x(k)}</name><type>points</type><parent>${x(c.key)}</parent><attributes></attributes></label>`).join('');
    })
    .join('\n      ');
  // CVAT's meta has no place for provenance: comments, which its importer skips ("--" is not allowed in one).
  const comments = notes.map((n) => `<!-- ${n.replaceAll('--', '- -')} -->\n`).join('');
  return `<?xml version="1.0" encoding="utf-8"?>
${comments}<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <name>${x(name)}</name>
      <mode>${mode}</mode>
      <labels>
      ${labels}
      </labels>
    </task>
  </meta>
`;
}

const attrs = (a: Attributes | undefined): string =>
  a
    ? Object.entries(a)
        .map(([k, v]) => `<attribute name="${x(k)}">${x(String(v))}</attribute>`)
        .join('')
    : '';
const shape = (tag: string, label: string, fields: string, a?: Attributes) => {
  const inner = attrs(a);
  return `    <${tag} label="${x(label)}" source="manual" occluded="0"${fields} z_order="0"${inner ? `>${inner}</${tag}>` : ' />'}\n`;
};
const points = (pts: ReadonlyArray<readonly [number, number, ...unknown[]]>) => pts.map(([px, py]) => `${num(px)},${num(py)}`).join(';');
const boxFields = (b: XYWH) => ` xtl="${num(b[0])}" ytl="${num(b[1])}" xbr="${num(b[0] + b[2])}" ybr="${num(b[1] + b[3])}"`;
function maskShape(label: string, bitmap: Parameters<typeof cvatMask>[0], a?: Attributes): string {
  const m = cvatMask(bitmap);
  if (!m) return '';
  return shape('mask', label, ` rle="${m.rle.join(', ')}" left="${m.left}" top="${m.top}" width="${m.width}" height="${m.height}"`, a);
}

/** The shapes of one consensus label on one image, as CVAT XML elements. */
export function cvatShapes(kind: string, data: unknown, image: ExportImage, schema: LabelSchema): string {
  if (data === null || data === undefined) return '';
  switch (kind) {
    case 'classification': {
      const d = data as ClassificationLabel;
      return (d.labels ?? (d.label !== undefined ? [d.label] : [])).map((l) => `    <tag label="${x(l)}" source="manual">${attrs(d.attributes)}</tag>\n`).join('');
    }
    case 'bbox':
      return (data as BoxLabel).objects.map((o) => shape('box', o.label, boxFields(o.box), o.attributes)).join('');
    case 'polygon':
      return (data as PolygonLabel).objects
        .map((o) =>
          o.rings.length > 1
            ? maskShape(o.label, rasterizePolygon(o.rings, image.width, image.height), o.attributes)
            : shape('polygon', o.label, ` points="${points(o.rings[0]!)}"`, o.attributes),
        )
        .join('');
    case 'polyline':
      return (data as PolylineLabel).objects.map((o) => shape('polyline', o.label, ` points="${points(o.points)}"`, o.attributes)).join('');
    case 'mask':
      return (data as MaskLabel).objects.map((o) => maskShape(o.label, rleDecode(decodeMask(o.rle)), o.attributes)).join('');
    case 'keypoints':
      return (data as KeypointsLabel).objects
        .map((o) => {
          const parts = o.points
            .map(
              ([px, py, v], i) =>
                `<points label="${x(schema.keypoints[i] ?? `kp${i + 1}`)}" source="manual" occluded="${v === 1 ? 1 : 0}" outside="${v === 0 ? 1 : 0}" points="${num(px)},${num(py)}" z_order="0" />`,
            )
            .join('');
          return `    <skeleton label="${x(o.label)}" source="manual" z_order="0">${parts}${attrs(o.attributes)}</skeleton>\n`;
        })
        .join('');
    default:
      throw new ExportError('FORMAT_MISMATCH', `CVAT for images does not hold ${kind}`);
  }
}

async function* tracksXml(source: ExportSource, task: ExportTask, firstId: number): AsyncGenerator<string, number> {
  const d = task.consensus as TrackLabel | null;
  if (!d || !task.asset) return firstId;
  const frames = await source.frames(task.asset);
  let id = firstId;
  for (const t of d.tracks) {
    const present = trackFrames(t.keyframes, frames);
    const outside = t.keyframes.filter((k) => k.outside).map((k) => ({ frame: frames.source(k.frame), box: k.box, occluded: false, keyframe: true, outside: true }));
    const rows = [...present.map((p) => ({ ...p, outside: false })), ...outside];
    const last = present[present.length - 1];
    const videoEnd = frames.frameCount ? frames.source(frames.frameCount - 1) : null;
    if (last && !outside.some((o) => o.frame > last.frame) && (videoEnd === null || last.frame < videoEnd))
      rows.push({ ...last, frame: last.frame + 1, keyframe: true, outside: true });
    // A frame both present (interpolated) and an outside keyframe: the keyframe wins.
    const byFrame = new Map<number, (typeof rows)[number]>();
    for (const r of rows) if (!byFrame.has(r.frame) || r.keyframe) byFrame.set(r.frame, r);
    const boxes = [...byFrame.values()]
      .sort((a, b) => a.frame - b.frame)
      .map(
        (r) =>
          `      <box frame="${r.frame}" keyframe="${r.keyframe ? 1 : 0}" outside="${r.outside ? 1 : 0}" occluded="${r.occluded ? 1 : 0}"${boxFields(r.box)} z_order="0">${attrs(t.attributes)}</box>\n`,
      )
      .join('');
    yield `    <track id="${id}" label="${x(t.label)}" source="manual" asset_id="${x(task.asset.id)}" task_id="${x(task.id)}">\n${boxes}    </track>\n`;
    id += 1;
  }
  return id;
}

export const cvat: ExportFormat = {
  id: 'cvat',
  title: 'CVAT XML 1.1 (images and video)',
  kinds: ['classification', 'bbox', 'polygon', 'polyline', 'keypoints', 'mask', 'track'],
  standardFor: ['polyline'],
  extension: 'xml',
  contentType: 'application/xml',
  async *write(source) {
    const { schema } = source.campaign;
    const video = schema.geometry === 'track';
    yield meta(schema, source.campaign.name, video ? 'interpolation' : 'annotation', [consensusLine(source.campaign), EMPTY_LABELS_CONVENTION]);
    if (video) {
      let next = 0;
      for await (const task of source.tasks()) {
        const gen = tracksXml(source, task, next);
        for (let r = await gen.next(); ; r = await gen.next()) {
          if (r.done) {
            next = r.value;
            break;
          }
          yield r.value;
        }
      }
    } else {
      const once = new ImageOnce();
      let id = 0;
      for await (const task of source.tasks()) {
        const image = await imageOf(source, task, task.consensus);
        once.check(image, task.id);
        const inner = cvatShapes(schema.geometry, task.consensus, image, schema);
        yield `  <image id="${id++}" name="${x(image.fileName)}" width="${image.width}" height="${image.height}">\n${inner}  </image>\n`;
      }
    }
    yield '</annotations>\n';
  },
};
