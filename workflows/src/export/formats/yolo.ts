// Ultralytics YOLO datasets as a zip: data.yaml (class names) and one labels/<image>.txt per image, class
// index then coordinates normalised to the image size. Detection: "cls cx cy w h"; segmentation: "cls x1 y1
// x2 y2 ..." of each polygon's outline (YOLO has no holes: the holes are left out, see data.yaml's note).
import { ExportError, type ExportFormat, type ExportSource } from '../format.ts';
import { ImageOnce, imageOf, type ExportImage } from '../images.ts';
import type { BoxLabel, PolygonLabel } from '../payloads.ts';
import { ZipStream, num } from '../streams.ts';
import { consensusLine, EMPTY_LABELS_CONVENTION } from '../provenance.ts';

function yamlString(s: string): string {
  return JSON.stringify(s);
}

function classIndex(classes: ReadonlyArray<{ key: string }>): (label: string) => number {
  const ids = new Map(classes.map((c, i) => [c.key, i]));
  return (label) => {
    const id = ids.get(label);
    if (id === undefined) throw new ExportError('LABEL_INVALID', `label '${label}' is not a class of the campaign's schema`);
    return id;
  };
}

export function yoloLines(kind: string, data: unknown, image: ExportImage, cls: (label: string) => number): string {
  if (data === null || data === undefined) return '';
  const { width: w, height: h } = image;
  if (!(w > 0 && h > 0)) throw new ExportError('MEDIA_MISSING', `YOLO needs the size of ${image.fileName} to normalise coordinates`);
  if (kind === 'bbox')
    return (data as BoxLabel).objects
      .map((o) => `${cls(o.label)} ${num((o.box[0] + o.box[2] / 2) / w)} ${num((o.box[1] + o.box[3] / 2) / h)} ${num(o.box[2] / w)} ${num(o.box[3] / h)}\n`)
      .join('');
  return (data as PolygonLabel).objects.map((o) => `${cls(o.label)} ${o.rings[0]!.map(([x, y]) => `${num(x / w)} ${num(y / h)}`).join(' ')}\n`).join('');
}

function yoloFormat(id: 'yolo-detect' | 'yolo-segment', kind: 'bbox' | 'polygon', title: string): ExportFormat {
  return {
    id,
    title,
    kinds: [kind],
    extension: 'zip',
    contentType: 'application/zip',
    async *write(source: ExportSource) {
      const { schema } = source.campaign;
      const zip = new ZipStream();
      const yaml = [
        `# ${title}, campaign ${source.campaign.id}${source.batchId ? `, batch ${source.batchId}` : ''}. Images are named by asset id (and source frame for video).`,
        ...(kind === 'polygon' ? ['# Polygon holes are not representable in YOLO segmentation and are omitted (outlines only).'] : []),
        `# ${consensusLine(source.campaign)}`,
        `# ${EMPTY_LABELS_CONVENTION}`,
        'path: .',
        'train: images',
        'val: images',
        `nc: ${schema.classes.length}`,
        'names:',
        ...schema.classes.map((c, i) => `  ${i}: ${yamlString(c.key)}`),
        '',
      ].join('\n');
      zip.add('data.yaml', yaml);
      yield* zip.take();
      const cls = classIndex(schema.classes);
      const once = new ImageOnce();
      for await (const task of source.tasks()) {
        const image = await imageOf(source, task, task.consensus);
        once.check(image, task.id);
        // An image without objects still gets its (empty) file: a negative example, not a missing one.
        zip.add(`labels/${image.stem}.txt`, yoloLines(kind, task.consensus, image, cls));
        yield* zip.take();
      }
      zip.end();
      yield* zip.take();
    },
  };
}

export const yoloDetect = yoloFormat('yolo-detect', 'bbox', 'YOLO detection (Ultralytics)');
export const yoloSegment = yoloFormat('yolo-segment', 'polygon', 'YOLO segmentation (Ultralytics)');
