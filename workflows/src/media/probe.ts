// One entry point for every asset: sniff, validate and probe, or throw one specific MediaError.
import { readFile } from 'node:fs/promises';
import { detectFile } from './detect.ts';
import { MediaError } from './errors.ts';
import { readDicom } from './dicom/parse.ts';
import { decodeFrame, displaySupport, pixelModule } from './dicom/pixels.ts';
import { type DicomProbe, summarizeDicom } from './dicom/series.ts';
import { type ImageProbe, probeImage } from './image.ts';
import { type NiftiProbe, probeNifti } from './nifti.ts';
import { type ToolOptions, type VideoProbe, probeVideo } from './video.ts';

export type MediaProbe = DicomProbe | NiftiProbe | VideoProbe | ImageProbe;

export interface ValidateOptions extends ToolOptions {
  /** maximum inflated size of deflated DICOM and .nii.gz (bytes); default 2 GiB */
  maxDecompressedBytes?: number;
  /** maximum width x height of a still image; default 100 megapixels */
  maxImagePixels?: number;
  /** reject DICOM data sets without File Meta (MISSING_FILE_META) instead of reading them raw */
  strictDicom?: boolean;
  /** DICOM: decode the first frame too, so that corrupt pixel data is caught here (default true) */
  decodeFirstFrame?: boolean;
}

/**
 * Validates a file and returns its probe, or throws a MediaError with a specific code (EMPTY_FILE,
 * FORMAT_MISMATCH, TRUNCATED, DECOMPRESSION_BOMB, INVALID_SEQUENCE, ...). The message never holds PHI.
 */
export async function validateAndProbe(path: string, options: ValidateOptions = {}): Promise<MediaProbe> {
  const detection = await detectFile(path);
  const maxBytes = options.maxDecompressedBytes ?? 2 * 2 ** 30;
  switch (detection.kind) {
    case 'dicom': {
      const file = readDicom(await readFile(path), { maxInflatedBytes: maxBytes });
      if (!file.hadFileMeta && options.strictDicom) {
        throw new MediaError('MISSING_FILE_META', 'The DICOM file has no preamble and no File Meta Information (a raw data set).');
      }
      const probe = summarizeDicom(file);
      if ((options.decodeFirstFrame ?? true) && probe.hasPixelData && displaySupport(file.transferSyntaxUID).displayable && pixelModule(file).rows > 0) {
        try {
          await decodeFrame(file, pixelModule(file).numberOfFrames - 1);
        } catch (error) {
          // Frames that need an unavailable codec stay probe-able; broken data does not.
          if (!(error instanceof MediaError) || error.code !== 'UNSUPPORTED_TRANSFER_SYNTAX') throw error;
          probe.displayable = false;
          probe.notDisplayableReason = error.message;
        }
      }
      return probe;
    }
    case 'nifti':
      return probeNifti(path, { maxBytes });
    case 'video':
      return probeVideo(path, options);
    case 'image':
      return probeImage(path, { maxPixels: options.maxImagePixels ?? 100_000_000 });
  }
}
