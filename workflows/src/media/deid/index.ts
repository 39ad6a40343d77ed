// De-identifies any supported file by kind: DICOM, NIfTI, video or still image.
import { readFile, writeFile } from 'node:fs/promises';
import { detectFile } from '../detect.ts';
import { type DicomDeidOptions, type DicomDeidReport, deidentifyDicom } from '../dicom/deid.ts';
import { type ImageDeidReport, deidentifyImage } from '../image.ts';
import { type NiftiDeidReport, deidentifyNifti } from '../nifti.ts';
import type { TextDetector } from '../ocr.ts';
import { type VideoDeidReport, deidentifyVideo } from '../video.ts';

export type DeidReport = DicomDeidReport | NiftiDeidReport | VideoDeidReport | ImageDeidReport;

export interface FileDeidOptions extends Omit<DicomDeidOptions, 'textDetector'> {
  textDetector?: TextDetector;
  /** maximum decompressed size for deflated DICOM and .nii.gz */
  maxDecompressedBytes?: number;
  /** video: seconds between sampled frames for text detection */
  videoSampleInterval?: number;
}

export async function deidentifyFile(input: string, output: string, options: FileDeidOptions): Promise<DeidReport> {
  const detection = await detectFile(input);
  const maxBytes = options.maxDecompressedBytes ?? 2 * 2 ** 30;
  switch (detection.kind) {
    case 'dicom': {
      const { bytes, report } = await deidentifyDicom(await readFile(input), { ...options, read: { maxInflatedBytes: maxBytes } });
      await writeFile(output, bytes);
      return report;
    }
    case 'nifti':
      return deidentifyNifti(input, output, { maxBytes });
    case 'video':
      return deidentifyVideo(input, output, {
        ...(options.textDetector ? { textDetector: options.textDetector } : {}),
        ...(options.videoSampleInterval ? { sampleInterval: options.videoSampleInterval } : {}),
      });
    case 'image':
      return deidentifyImage(input, output, options.textDetector ? { textDetector: options.textDetector } : {});
  }
}
