// The image a per-frame label sits on, named and sized the same way in every image format (COCO, YOLO, CVAT):
// an image asset is one image; a video frame or a volume slice is an image of its own, named by SOURCE frame.
import { ExportError, type ExportSource, type ExportTask } from './format.ts';
import { frameOf } from './payloads.ts';

export interface ExportImage {
  /** Identity of the image: asset and source frame. */
  key: string;
  /** File name relative to the dataset's image folder, without extension for YOLO's label files. */
  stem: string;
  fileName: string;
  width: number;
  height: number;
  assetId: string | null;
  /** Source frame (video) or slice (volume); null for a still image. */
  frame: number | null;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export async function imageOf(source: ExportSource, task: ExportTask, data: unknown): Promise<ExportImage> {
  const asset = task.asset;
  const proxyFrame = frameOf(task.frame, data);
  if (!asset) {
    return { key: `task:${task.id}`, stem: `task_${task.id}`, fileName: `task_${task.id}.png`, width: 0, height: 0, assetId: null, frame: proxyFrame };
  }
  if (asset.width === null || asset.height === null)
    throw new ExportError('MEDIA_MISSING', `asset ${asset.id} has no known size (not ingested?); image formats need each image's width and height`);
  const base = { width: asset.width, height: asset.height, assetId: asset.id };
  if (proxyFrame === null) return { ...base, key: asset.id, stem: asset.id, fileName: `${asset.id}.png`, frame: null };
  const frame = (await source.frames(asset)).source(proxyFrame);
  const stem = asset.kind === 'VIDEO' ? `${asset.id}_frame_${pad(frame, 6)}` : `${asset.id}_slice_${pad(frame, 4)}`;
  return { ...base, key: `${asset.id}:${frame}`, stem, fileName: `${stem}.png`, frame };
}

/** Refuses a second task on an image already written, for formats that write each image once. */
export class ImageOnce {
  private readonly seen = new Map<string, string>();
  check(image: ExportImage, taskId: string): void {
    const first = this.seen.get(image.key);
    if (first !== undefined)
      throw new ExportError('DUPLICATE_IMAGE', `image ${image.fileName} is labelled by two accepted tasks (${first}, ${taskId}); export their batches one at a time`);
    this.seen.set(image.key, taskId);
  }
}
