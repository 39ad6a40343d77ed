// Still images (PNG, JPEG, TIFF, WebP): probe with a pixel limit, and de-identification (metadata
// dropped by re-encoding, burned-in text blacked out).
import { stat, writeFile } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { MediaError } from './errors.ts';
import { type Box, type TextDetector, redactBoxes } from './ocr.ts';

export interface ImageProbe {
  kind: 'image';
  format: string;
  width: number;
  height: number;
  channels: number;
  hasMetadata: boolean;
  size: number;
}

export interface ImageLimits {
  /** maximum width x height; default 100 megapixels */
  maxPixels?: number;
}

function bombCheck(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new MediaError('DECOMPRESSION_BOMB', `The image declares ${width}x${height} pixels, beyond the limit of ${maxPixels}.`, { width, height, limit: maxPixels });
  }
}

export async function probeImage(path: string, limits: ImageLimits = {}): Promise<ImageProbe> {
  const maxPixels = limits.maxPixels ?? 100_000_000;
  const size = (await stat(path)).size;
  if (size === 0) throw new MediaError('EMPTY_FILE', 'The file is empty (0 bytes).');
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new MediaError('TRUNCATED', 'The image header cannot be read (corrupt or cut short).', {}, { cause: error });
  }
  if (!meta.width || !meta.height || !meta.format) throw new MediaError('INVALID_HEADER', 'The image has no dimensions.');
  bombCheck(meta.width, meta.height, maxPixels);
  try {
    // Decoding proves the pixel data is complete.
    await sharp(path, { limitInputPixels: maxPixels, failOn: 'truncated' }).raw().toBuffer();
  } catch (error) {
    throw new MediaError('TRUNCATED', 'The image pixel data is corrupt or cut short.', {}, { cause: error });
  }
  return {
    kind: 'image',
    format: meta.format,
    width: meta.width,
    height: meta.height,
    channels: meta.channels ?? 3,
    hasMetadata: Boolean(meta.exif || meta.icc || meta.iptc || meta.xmp || meta.comments?.length),
    size,
  };
}

export interface ImageDeidReport {
  kind: 'image';
  changes: string[];
  regions: Box[];
  needsHumanReview: boolean;
  reviewReasons: string[];
}

/** Re-encodes the image without EXIF/XMP/IPTC/comments (orientation applied) and blacks out detected text. */
export async function deidentifyImage(input: string, output: string, options: ImageLimits & { textDetector?: TextDetector; redactRegions?: Box[] } = {}): Promise<ImageDeidReport> {
  const probe = await probeImage(input, options);
  const { data, info } = await sharp(input, { limitInputPixels: options.maxPixels ?? 100_000_000 })
    .rotate()
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const image = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: info.channels as 1 | 3 };
  const reviewReasons: string[] = [];
  const regions: Box[] = [...(options.redactRegions ?? [])];
  if (options.textDetector) regions.push(...(await options.textDetector(image)));
  else reviewReasons.push('no text detector was given: burned-in text was not checked');
  redactBoxes(image, regions);
  if (regions.length > 0) reviewReasons.push('burned-in text was detected and redacted: a person must confirm that nothing identifying is left');
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  const format = output.toLowerCase().match(/\.(jpe?g|png|webp|tiff?)$/)?.[1] ?? 'png';
  pipeline = format.startsWith('jp')
    ? pipeline.jpeg({ quality: 95 })
    : format === 'webp'
      ? pipeline.webp({ lossless: true })
      : format.startsWith('tif')
        ? pipeline.tiff()
        : pipeline.png();
  await writeFile(output, await pipeline.toBuffer());
  const changes = [probe.hasMetadata ? 'metadata (EXIF/XMP/IPTC/ICC/comments): removed' : 'metadata: none present', `pixels: ${regions.length} region(s) blacked out`];
  return { kind: 'image', changes, regions, needsHumanReview: reviewReasons.length > 0, reviewReasons };
}
