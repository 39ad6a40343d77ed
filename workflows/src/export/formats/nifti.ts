// NIfTI label maps of volume tasks, as a zip laid out like nnU-Net's: labelsTr/<asset>.nii.gz per volume
// (uint8, or uint16 past 255 classes; 0 = background, class i = its 1-based position in the schema) and
// dataset.json naming the values. Each map keeps the de-identified source volume's header geometry (qform,
// sform, pixdim and its qfac, units) byte for byte, so it overlays the source in any viewer. Where classes
// overlap, the later class in the schema wins. Written slice by slice through gzip: one slice in memory.
import { ExportError, type ExportFormat, type ExportSource, type ExportTask } from '../format.ts';
import type { VolumeLabel } from '../payloads.ts';
import { GzipStream, ZipStream } from '../streams.ts';
import { consensusLine, EMPTY_LABELS_CONVENTION } from '../provenance.ts';

const NIFTI_INTENT_LABEL = 1002;

/** A NIfTI header's byte order, told by its sizeof_hdr (348 or 540). */
function isLittleEndian(header: Uint8Array): boolean {
  if (header.byteLength < 4) throw new ExportError('MEDIA_MISSING', 'the source volume has no NIfTI header');
  const size = new DataView(header.buffer, header.byteOffset, header.byteLength).getInt32(0, true);
  return size === 348 || size === 540;
}

/** The label map's header: the source header with its data description replaced. */
export function labelMapHeader(sourceHeader: Uint8Array, dims: readonly [number, number, number], wide: boolean, maxValue: number): Uint8Array {
  const little = isLittleEndian(sourceHeader);
  const size = new DataView(sourceHeader.buffer, sourceHeader.byteOffset, sourceHeader.byteLength).getInt32(0, little);
  if (size !== 348 && size !== 540) throw new ExportError('MEDIA_MISSING', 'the source volume has no NIfTI header');
  if (sourceHeader.byteLength < size) throw new ExportError('MEDIA_MISSING', 'the source volume header is cut short');
  const out = new Uint8Array(size + 4);
  out.set(sourceHeader.subarray(0, size));
  const v = new DataView(out.buffer);
  const clear = (offset: number, length: number) => out.fill(0, offset, offset + length);
  const [datatype, bitpix] = wide ? [512, 16] : [2, 8];
  if (size === 348) {
    const srcDims = [1, 2, 3].map((k) => v.getInt16(40 + 2 * k, little));
    checkDims(srcDims, dims);
    v.setInt16(40, 3, little);
    for (let k = 1; k <= 7; k++) v.setInt16(40 + 2 * k, k <= 3 ? dims[k - 1]! : 1, little);
    v.setInt16(68, NIFTI_INTENT_LABEL, little);
    v.setInt16(70, datatype, little);
    v.setInt16(72, bitpix, little);
    v.setFloat32(108, 352, little);
    v.setFloat32(112, 1, little);
    v.setFloat32(116, 0, little);
    v.setFloat32(124, maxValue, little);
    v.setFloat32(128, 0, little);
    clear(56, 12); // intent_p1..p3
    clear(148, 80); // descrip
    clear(228, 24); // aux_file
    clear(328, 16); // intent_name
  } else {
    const srcDims = [1, 2, 3].map((k) => Number(v.getBigInt64(16 + 8 * k, little)));
    checkDims(srcDims, dims);
    v.setBigInt64(16, 3n, little);
    for (let k = 1; k <= 7; k++) v.setBigInt64(16 + 8 * k, BigInt(k <= 3 ? dims[k - 1]! : 1), little);
    v.setInt16(12, datatype, little);
    v.setInt16(14, bitpix, little);
    v.setBigInt64(168, 544n, little);
    v.setFloat64(176, 1, little);
    v.setFloat64(184, 0, little);
    v.setFloat64(192, maxValue, little);
    v.setFloat64(200, 0, little);
    v.setInt32(504, NIFTI_INTENT_LABEL, little);
    clear(80, 24); // intent_p1..p3
    clear(240, 80);
    clear(320, 24);
    clear(508, 16);
  }
  return out;
}

function checkDims(source: number[], label: readonly number[]): void {
  if (source.some((d, i) => d !== label[i])) throw new ExportError('LABEL_INVALID', `the label volume is ${label.join('×')} but its source volume is ${source.join('×')}`);
}

/** Walks one class's runs (x fastest, starting with 0s) and paints its value into a slice at a time. */
class RunCursor {
  private run = 0;
  private left: number;
  constructor(
    private readonly counts: readonly number[],
    readonly value: number,
  ) {
    this.left = counts[0] ?? Infinity;
  }
  paint(slice: Uint8Array | Uint16Array, length: number): void {
    let i = 0;
    while (i < length) {
      if (this.run >= this.counts.length) return;
      const take = Math.min(this.left, length - i);
      if (this.run % 2 === 1) slice.fill(this.value, i, i + take);
      i += take;
      this.left -= take;
      while (this.left === 0 && this.run < this.counts.length) {
        this.run += 1;
        this.left = this.counts[this.run] ?? Infinity;
      }
    }
  }
}

/** The gzip-compressed label map (.nii.gz) of one volume label, in chunks. */
export async function* labelMapChunks(header: Uint8Array, data: VolumeLabel, classes: ReadonlyArray<{ key: string }>): AsyncGenerator<Uint8Array> {
  const wide = classes.length > 255;
  const [nx, ny, nz] = data.dims;
  const values = new Map(classes.map((c, i) => [c.key, i + 1]));
  const cursors = data.segments.map((s) => {
    const value = values.get(s.label);
    if (value === undefined) throw new ExportError('LABEL_INVALID', `label '${s.label}' is not a class of the campaign's schema`);
    return new RunCursor(s.rle.counts, value);
  });
  // Later classes paint over earlier ones.
  cursors.sort((a, b) => a.value - b.value);
  const gzip = new GzipStream();
  gzip.push(labelMapHeader(header, data.dims, wide, classes.length));
  yield* gzip.take();
  const sliceLength = nx * ny;
  const slice = wide ? new Uint16Array(sliceLength) : new Uint8Array(sliceLength);
  const littleEndian = isLittleEndian(header);
  for (let z = 0; z < nz; z++) {
    slice.fill(0);
    for (const c of cursors) c.paint(slice, sliceLength);
    let bytes: Uint8Array;
    if (!wide) bytes = new Uint8Array(slice);
    else {
      bytes = new Uint8Array(sliceLength * 2);
      const dv = new DataView(bytes.buffer);
      for (let i = 0; i < sliceLength; i++) dv.setUint16(i * 2, slice[i]!, littleEndian);
    }
    gzip.push(bytes, z === nz - 1);
    yield* gzip.take();
  }
  if (nz === 0) gzip.push(new Uint8Array(0), true);
  yield* gzip.take();
}

async function* volumeEntry(source: ExportSource, task: ExportTask, zip: ZipStream): AsyncGenerator<Uint8Array> {
  const data = task.consensus as VolumeLabel | null;
  if (!data || !task.asset) return;
  if (task.asset.kind !== 'NIFTI')
    throw new ExportError(
      'FORMAT_MISMATCH',
      `asset ${task.asset.id} is a ${task.asset.kind.toLowerCase()} volume; a NIfTI label map needs a NIfTI source (use DICOM SEG for DICOM series)`,
    );
  const header = await source.niftiHeader(task.asset);
  const entry = zip.entry(`labelsTr/${task.asset.id}.nii.gz`, { stored: true });
  for await (const chunk of labelMapChunks(header, data, source.campaign.schema.classes)) {
    entry.push(chunk);
    yield* zip.take();
  }
  entry.end();
  yield* zip.take();
}

export const nifti: ExportFormat = {
  id: 'nifti',
  title: 'NIfTI label maps (nnU-Net layout)',
  kinds: ['volume'],
  standardFor: ['volume'],
  assetKinds: ['NIFTI'],
  extension: 'zip',
  contentType: 'application/zip',
  async *write(source) {
    const { schema } = source.campaign;
    const zip = new ZipStream();
    const labels: Record<string, number> = { background: 0 };
    schema.classes.forEach((c, i) => (labels[c.key] = i + 1));
    const seen = new Set<string>();
    let cases = 0;
    for await (const task of source.tasks()) {
      if (task.asset) {
        if (seen.has(task.asset.id)) throw new ExportError('DUPLICATE_IMAGE', `volume ${task.asset.id} has two accepted tasks; export their batches one at a time`);
        seen.add(task.asset.id);
      }
      yield* volumeEntry(source, task, zip);
      cases += 1;
    }
    const dataset = {
      name: source.campaign.name,
      description: `Suture campaign ${source.campaign.id}`,
      consensus_method: source.campaign.consensus.method,
      consensus: consensusLine(source.campaign),
      empty_masks: EMPTY_LABELS_CONVENTION,
      labels,
      numTraining: cases,
      file_ending: '.nii.gz',
      channel_names: { 0: 'source' },
    };
    zip.add('dataset.json', `${JSON.stringify(dataset, null, 2)}\n`);
    zip.end();
    yield* zip.take();
  },
};
