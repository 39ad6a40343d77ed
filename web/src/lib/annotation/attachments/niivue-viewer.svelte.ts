// NiiVue (WebGL2 NIfTI viewer with a drawing layer) wrapped for the volume editor: a rune class holding
// what the toolbar shows (view, window/level, pen, slice), and an attachment on the <canvas> that loads the
// volume, keeps NiiVue's drawing in step with the label map and destroys the viewer with the element.
// NiiVue draws in its RAS-reoriented grid; the payload is in the file's native voxel order (kinds/volume).
import type { Attachment } from 'svelte/attachments';
import type { Niivue } from '@niivue/niivue';
import { interpolateSlices, nativeToRas, rasToNative, slicesWith, type Axis, type Dims, type RasMapping } from '../kinds/volume';

export type VolumeView = 'multiplanar' | 'axial' | 'coronal' | 'sagittal';

/** Window/level presets (Hounsfield units for CT); 'auto' uses the volume's robust range (MR). */
export const WINDOW_PRESETS = {
  auto: { name: 'Auto (MR)', width: null, level: null },
  soft: { name: 'CT soft tissue W400 L40', width: 400, level: 40 },
  lung: { name: 'CT lung W1500 L−600', width: 1500, level: -600 },
  bone: { name: 'CT bone W1800 L400', width: 1800, level: 400 },
} as const;
export type WindowPreset = keyof typeof WINDOW_PRESETS;

const VIEW_AXIS: Record<VolumeView, Axis> = { multiplanar: 2, axial: 2, coronal: 1, sagittal: 0 };

export interface VolumeViewerOptions {
  url: () => string | null;
  /** The saved label map in native order, read once when the volume has loaded (null: start empty). */
  initial: (dims: Dims) => Uint8Array | null;
  /** The label map in native order after every change (stroke, fill, undo). */
  onChange: (labels: Uint8Array, dims: Dims) => void;
}

export class VolumeViewer {
  state = $state<'idle' | 'loading' | 'ready' | 'failed'>('idle');
  problem = $state<string | null>(null);
  /** The file's voxel grid [X, Y, Z]. */
  dims = $state<Dims | null>(null);
  view = $state<VolumeView>('multiplanar');
  preset = $state<WindowPreset>('auto');
  window = $state<{ width: number; level: number } | null>(null);
  pen = $state(1);
  brush = $state(true);
  penSize = $state(1);
  /** The crosshair's voxel in NiiVue's RAS grid. */
  voxel = $state<[number, number, number]>([0, 0, 0]);
  /** Slices (along the view's axis) holding the active class. */
  drawnSlices = $state<number[]>([]);
  /** Class colours of NiiVue's drawing palette, by pen value. */
  colors = $state<string[]>([]);
  #nv: Niivue | null = null;
  #mapping: RasMapping | null = null;
  #options: VolumeViewerOptions | null = null;

  readonly axis = $derived(VIEW_AXIS[this.view]);
  readonly slice = $derived(this.voxel[this.axis]);

  constructor(private readonly disabled: () => boolean) {}

  setView(view: VolumeView) {
    this.view = view;
    const nv = this.#nv;
    if (!nv) return;
    nv.setSliceType(view === 'multiplanar' ? nv.sliceTypeMultiplanar : view === 'axial' ? nv.sliceTypeAxial : view === 'coronal' ? nv.sliceTypeCoronal : nv.sliceTypeSagittal);
    this.#refreshDrawn();
  }

  setPreset(preset: WindowPreset) {
    this.preset = preset;
    const volume = this.#nv?.volumes[0];
    if (!this.#nv || !volume) return;
    const p = WINDOW_PRESETS[preset];
    if (p.width === null) {
      volume.cal_min = volume.robust_min ?? volume.global_min ?? 0;
      volume.cal_max = volume.robust_max ?? volume.global_max ?? 1;
    } else {
      volume.cal_min = p.level - p.width / 2;
      volume.cal_max = p.level + p.width / 2;
    }
    this.window = { width: volume.cal_max - volume.cal_min, level: (volume.cal_max + volume.cal_min) / 2 };
    this.#nv.updateGLVolume();
  }

  /** Pen value k paints the schema's k-th class; 0 erases. */
  setPen(value: number) {
    this.pen = value;
    this.#applyPen();
    this.#refreshDrawn();
  }

  setBrush(on: boolean) {
    this.brush = on;
    this.#applyPen();
  }

  setPenSize(size: number) {
    this.penSize = size;
    if (this.#nv) this.#nv.opts.penSize = size;
  }

  /** Moves `delta` slices along the view's axis. */
  moveSlice(delta: number) {
    const d: [number, number, number] = [0, 0, 0];
    d[this.axis] = delta;
    this.#nv?.moveCrosshairInVox(...d);
    this.#readVoxel();
  }

  /** Fills the slices between drawn slices of the active class along the view's axis. */
  fillBetween(): number {
    const nv = this.#nv;
    const bitmap = nv?.drawBitmap;
    if (!nv || !bitmap || !this.#mapping || this.pen < 1) return 0;
    nv.drawAddUndoBitmap();
    const added = interpolateSlices(bitmap, this.#mapping.dimsRAS, this.axis, this.pen);
    nv.refreshDrawing(true);
    this.#changed();
    return added;
  }

  undo() {
    this.#nv?.drawUndo();
  }

  /** Replaces the drawing with a label map in native order (read-only views: review, QA); false before the volume has loaded. */
  showLabels(native: Uint8Array): boolean {
    const nv = this.#nv;
    if (!nv?.drawBitmap || !this.#mapping || native.length !== nv.drawBitmap.length) return false;
    nv.drawBitmap.set(nativeToRas(native, this.#mapping));
    nv.refreshDrawing(true);
    return true;
  }

  #applyPen() {
    const nv = this.#nv;
    if (!nv) return;
    nv.setDrawingEnabled(this.brush && !this.disabled());
    nv.setPenValue(this.pen, false);
  }

  #readVoxel() {
    const nv = this.#nv;
    if (!nv || !this.#mapping) return;
    const v = nv.frac2vox(nv.scene.crosshairPos);
    this.voxel = [Math.round(v[0]), Math.round(v[1]), Math.round(v[2])];
  }

  #refreshDrawn() {
    const bitmap = this.#nv?.drawBitmap;
    this.drawnSlices = bitmap && this.#mapping && this.pen > 0 ? slicesWith(bitmap, this.#mapping.dimsRAS, this.axis, this.pen) : [];
  }

  #changed() {
    const bitmap = this.#nv?.drawBitmap;
    if (!bitmap || !this.#mapping || !this.dims || !this.#options) return;
    this.#refreshDrawn();
    this.#options.onChange(rasToNative(bitmap, this.#mapping), this.dims);
  }

  attach(options: VolumeViewerOptions): Attachment<HTMLCanvasElement> {
    return (canvas) => {
      this.#options = options;
      let destroyed = false;
      const url = options.url();
      if (!url) {
        this.state = 'failed';
        this.problem = 'This task has no volume to show.';
        return;
      }
      this.state = 'loading';
      void (async () => {
        try {
          const { Niivue } = await import('@niivue/niivue');
          if (destroyed) return;
          const nv = new Niivue({ backColor: [0, 0, 0, 1], show3Dcrosshair: false, dragAndDropEnabled: false, isResizeCanvas: true, logLevel: 'warn', penSize: this.penSize });
          this.#nv = nv;
          await nv.attachToCanvas(canvas);
          // The signed URL has a query string: the name tells NiiVue the format.
          await nv.loadVolumes([{ url, name: 'volume.nii.gz' }]);
          if (destroyed) return;
          const back = nv.volumes[0];
          if (!back?.hdr || !back.dimsRAS || !back.img2RASstart || !back.img2RASstep) throw new Error('the volume has no voxel grid');
          const dims: Dims = [back.hdr.dims[1]!, back.hdr.dims[2]!, Math.max(1, back.hdr.dims[3]!)];
          this.#mapping = {
            dimsRAS: [back.dimsRAS[1]!, back.dimsRAS[2]!, back.dimsRAS[3]!],
            start: back.img2RASstart as Dims,
            step: back.img2RASstep as Dims,
          };
          this.dims = dims;
          nv.createEmptyDrawing();
          const saved = options.initial(dims);
          if (saved && nv.drawBitmap) {
            nv.drawBitmap.set(nativeToRas(saved, this.#mapping));
            nv.refreshDrawing(true);
          }
          const lut = nv.drawLut.lut;
          this.colors = Array.from({ length: 16 }, (_, k) => `rgb(${lut[k * 4]}, ${lut[k * 4 + 1]}, ${lut[k * 4 + 2]})`);
          nv.onDrawingChanged = () => this.#changed();
          nv.onLocationChange = () => this.#readVoxel();
          this.setView(this.view);
          this.setPreset(this.preset);
          this.#applyPen();
          this.#readVoxel();
          this.#refreshDrawn();
          this.state = 'ready';
        } catch (error) {
          if (destroyed) return;
          console.error('[suture] volume viewer', error);
          this.state = 'failed';
          this.problem = error instanceof Error ? error.message : String(error);
        }
      })();
      return () => {
        destroyed = true;
        this.#nv?.cleanup();
        this.#nv = null;
        this.#options = null;
      };
    };
  }
}
