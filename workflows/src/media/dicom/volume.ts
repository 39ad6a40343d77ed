// A grey DICOM object (one file, single- or multi-frame) as a NIfTI-1 volume for the browser's volume viewer:
// voxel (x, y, z) = column x, row y of frame z, x fastest, so the grid is columns × rows × frames, the
// bounds labels of a DICOM task are checked against (annotation/media-bounds.ts). Values are modality
// values (rescale applied), float32. The affine maps DICOM's LPS patient axes to NIfTI's RAS with the
// pixel spacing and slice thickness (orientation beyond that is not carried: a viewing aid, never PHI).
import { MediaError } from '../errors.ts';
import type { DicomFile } from './parse.ts';
import { decodeFrame, geometryOf, pixelModule, rescaleOf } from './pixels.ts';

/** Voxels a DICOM volume may have before the viewer's copy is skipped (512 × 512 × 1024). */
export const MAX_DICOM_VOLUME_VOXELS = 512 * 512 * 1024;

const HEADER_BYTES = 352;

/** The NIfTI-1 bytes (.nii, uncompressed) of a grey DICOM object's frames. Throws MediaError when it cannot be one. */
export async function dicomVolumeNifti(file: DicomFile): Promise<Uint8Array> {
  const pm = pixelModule(file);
  if (pm.samplesPerPixel !== 1) throw new MediaError('UNSUPPORTED_FORMAT', `A volume needs grey pixels; this object has ${pm.samplesPerPixel} samples per pixel.`);
  const [X, Y, Z] = [pm.columns, pm.rows, pm.numberOfFrames];
  if (X * Y * Z > MAX_DICOM_VOLUME_VOXELS)
    throw new MediaError('DECOMPRESSION_BOMB', `A volume of ${X}×${Y}×${Z} voxels is more than the viewer takes (${MAX_DICOM_VOLUME_VOXELS}).`);
  const out = new Uint8Array(HEADER_BYTES + X * Y * Z * 4);
  const view = new DataView(out.buffer);
  const g = geometryOf(file);
  const sx = g.pixelSpacing?.[1] ?? 1;
  const sy = g.pixelSpacing?.[0] ?? 1;
  const sz = g.sliceThickness && g.sliceThickness > 0 ? g.sliceThickness : 1;
  view.setInt32(0, 348, true);
  [3, X, Y, Z, 1, 1, 1, 1].forEach((d, i) => view.setInt16(40 + 2 * i, d, true));
  view.setInt16(70, 16, true); // DT_FLOAT32
  view.setInt16(72, 32, true);
  [1, sx, sy, sz, 1, 1, 1, 1].forEach((p, i) => view.setFloat32(76 + 4 * i, p, true));
  view.setFloat32(108, HEADER_BYTES, true);
  view.setFloat32(112, 1, true);
  view.setFloat32(116, 0, true);
  out[123] = 2; // mm
  view.setInt16(254, 2, true); // sform: aligned to an anatomical frame
  // LPS (DICOM) to RAS (NIfTI): columns run to the patient's left, rows to posterior.
  [
    [-sx, 0, 0, 0],
    [0, -sy, 0, 0],
    [0, 0, sz, 0],
  ].forEach((row, r) => row.forEach((v, c) => view.setFloat32(280 + 16 * r + 4 * c, v, true)));
  out.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
  const voxels = new Float32Array(out.buffer, HEADER_BYTES, X * Y * Z);
  for (let z = 0; z < Z; z++) {
    const frame = await decodeFrame(file, z);
    const { slope, intercept } = rescaleOf(file, z);
    const base = z * X * Y;
    for (let i = 0; i < X * Y; i++) voxels[base + i] = frame.data[i]! * slope + intercept;
  }
  return out;
}
