// Sniffs a file's real content type from its first bytes and checks it against the file name's extension.
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { MediaError } from './errors.ts';

export type MediaKind = 'dicom' | 'nifti' | 'video' | 'image';

export type SniffedFormat = 'dicom' | 'dicom-raw' | 'nifti1' | 'nifti2' | 'gzip' | 'mp4' | 'mov' | 'webm' | 'avi' | 'mpeg-ts' | 'png' | 'jpeg' | 'tiff' | 'webp';

export interface Detection {
  kind: MediaKind;
  format: SniffedFormat;
  /** the extension the file had (lower case, with leading dot, '' if none) */
  extension: string;
  size: number;
}

const extensionKinds: Record<string, { kind: MediaKind; formats: SniffedFormat[] }> = {
  '.dcm': { kind: 'dicom', formats: ['dicom', 'dicom-raw'] },
  '.dicom': { kind: 'dicom', formats: ['dicom', 'dicom-raw'] },
  '.nii': { kind: 'nifti', formats: ['nifti1', 'nifti2'] },
  '.gz': { kind: 'nifti', formats: ['gzip'] },
  '.mp4': { kind: 'video', formats: ['mp4', 'mov'] },
  '.m4v': { kind: 'video', formats: ['mp4', 'mov'] },
  '.mov': { kind: 'video', formats: ['mov', 'mp4'] },
  '.webm': { kind: 'video', formats: ['webm'] },
  '.mkv': { kind: 'video', formats: ['webm'] },
  '.avi': { kind: 'video', formats: ['avi'] },
  '.ts': { kind: 'video', formats: ['mpeg-ts'] },
  '.png': { kind: 'image', formats: ['png'] },
  '.jpg': { kind: 'image', formats: ['jpeg'] },
  '.jpeg': { kind: 'image', formats: ['jpeg'] },
  '.tif': { kind: 'image', formats: ['tiff'] },
  '.tiff': { kind: 'image', formats: ['tiff'] },
  '.webp': { kind: 'image', formats: ['webp'] },
};

const formatKinds: Record<SniffedFormat, MediaKind> = {
  dicom: 'dicom',
  'dicom-raw': 'dicom',
  nifti1: 'nifti',
  nifti2: 'nifti',
  gzip: 'nifti',
  mp4: 'video',
  mov: 'video',
  webm: 'video',
  avi: 'video',
  'mpeg-ts': 'video',
  png: 'image',
  jpeg: 'image',
  tiff: 'image',
  webp: 'image',
};

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

/** Looks like a raw (no preamble, no File Meta) DICOM data set: a group 0008 tag with a plausible length. */
function looksLikeRawDicom(b: Uint8Array): boolean {
  if (b.length < 16) return false;
  const group = b[0]! | (b[1]! << 8);
  if (group !== 0x0008 && group !== 0x0002) return false;
  const vr = ascii(b, 4, 6);
  if (/^[A-Z]{2}$/.test(vr)) return true; // explicit VR
  const len = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
  return len < 1024;
}

/** Identify the format from the first bytes (at least 348 bytes are best; fewer still work for most). */
export function sniff(head: Uint8Array): SniffedFormat | undefined {
  const b = head;
  if (b.length >= 132 && ascii(b, 128, 132) === 'DICM') return 'dicom';
  if (b.length >= 4 && b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 4) === 'PNG') return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a))) return 'tiff';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 11) === 'AVI') return 'avi';
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm';
  if (b.length >= 12 && ascii(b, 4, 8) === 'ftyp') return ascii(b, 8, 10) === 'qt' ? 'mov' : 'mp4';
  if (b.length >= 8 && ['moov', 'mdat', 'wide', 'free'].includes(ascii(b, 4, 8))) return 'mov';
  if (b.length >= 189 && b[0] === 0x47 && b[188] === 0x47) return 'mpeg-ts';
  if (b.length >= 348) {
    const le = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const magic1 = ascii(b, 344, 347);
    if ((magic1 === 'n+1' || magic1 === 'ni1') && (le.getInt32(0, true) === 348 || le.getInt32(0, false) === 348)) return 'nifti1';
  }
  if (b.length >= 8) {
    const le = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if ((le.getInt32(0, true) === 540 || le.getInt32(0, false) === 540) && (ascii(b, 4, 7) === 'n+2' || ascii(b, 4, 7) === 'ni2')) return 'nifti2';
  }
  if (looksLikeRawDicom(b)) return 'dicom-raw';
  return undefined;
}

/** Reads the head of a file, sniffs it and checks the extension; throws EMPTY_FILE, UNKNOWN_FORMAT or FORMAT_MISMATCH. */
export async function detectFile(path: string): Promise<Detection> {
  const info = await stat(path);
  if (info.size === 0) throw new MediaError('EMPTY_FILE', 'The file is empty (0 bytes).');
  const handle = await open(path, 'r');
  let head: Uint8Array;
  try {
    const buffer = Buffer.alloc(Math.min(1024, info.size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const lower = path.toLowerCase();
  const extension = lower.endsWith('.nii.gz') ? '.nii.gz' : extname(lower);
  const format = sniff(head);
  if (!format) {
    throw new MediaError('UNKNOWN_FORMAT', `The content of this ${extension || 'extension-less'} file is not a supported media format (DICOM, NIfTI, video, PNG/JPEG/TIFF/WebP).`, {
      extension,
      size: info.size,
    });
  }
  const kind = formatKinds[format];
  const expected = extension === '.nii.gz' ? { kind: 'nifti' as MediaKind, formats: ['gzip' as SniffedFormat] } : extensionKinds[extension];
  // Files without an extension (common for DICOM) are accepted on content alone.
  if (expected && !expected.formats.includes(format)) {
    throw new MediaError('FORMAT_MISMATCH', `The file name says ${extension} but the content is ${format}.`, { extension, detected: format });
  }
  if (format === 'gzip' && extension !== '.nii.gz' && extension !== '.gz') {
    throw new MediaError('UNSUPPORTED_FORMAT', 'Gzip content is only accepted as .nii.gz.', { extension });
  }
  return { kind, format, extension, size: info.size };
}
