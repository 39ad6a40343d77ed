// The objects of one label being edited, with selection and undo/redo. Kind-agnostic: `G` is the kind's
// geometry (polygon rings, polyline points, keypoints, a mask's runs). Objects are replaced, never mutated,
// so every history entry is a cheap reference to a past array.
import type { StageObject } from './object';

export { newObjectId, type StageObject } from './object';

const HISTORY = 200;

export class ObjectStore<G> {
  objects = $state.raw<StageObject<G>[]>([]);
  selectedId = $state<string | null>(null);
  #past = $state.raw<StageObject<G>[][]>([]);
  #future = $state.raw<StageObject<G>[][]>([]);
  readonly #onCommit: (objects: StageObject<G>[]) => void;

  constructor(initial: StageObject<G>[], onCommit: (objects: StageObject<G>[]) => void) {
    this.objects = initial;
    this.#onCommit = onCommit;
  }

  get selected(): StageObject<G> | null {
    return this.objects.find((o) => o.id === this.selectedId) ?? null;
  }
  get canUndo() {
    return this.#past.length > 0;
  }
  get canRedo() {
    return this.#future.length > 0;
  }

  /** Replaces the objects as one undoable step. */
  commit(next: StageObject<G>[]) {
    this.#past = [...this.#past.slice(-HISTORY + 1), this.objects];
    this.#future = [];
    this.objects = next;
    if (this.selectedId && !next.some((o) => o.id === this.selectedId)) this.selectedId = null;
    this.#onCommit(next);
  }
  add(object: StageObject<G>) {
    this.commit([...this.objects, object]);
    this.selectedId = object.id;
  }
  update(id: string, change: (o: StageObject<G>) => StageObject<G>) {
    this.commit(this.objects.map((o) => (o.id === id ? change(o) : o)));
  }
  remove(id: string) {
    this.commit(this.objects.filter((o) => o.id !== id));
  }
  undo() {
    const previous = this.#past.at(-1);
    if (!previous) return;
    this.#past = this.#past.slice(0, -1);
    this.#future = [this.objects, ...this.#future];
    this.#restore(previous);
  }
  redo() {
    const next = this.#future[0];
    if (!next) return;
    this.#future = this.#future.slice(1);
    this.#past = [...this.#past, this.objects];
    this.#restore(next);
  }
  #restore(objects: StageObject<G>[]) {
    this.objects = objects;
    if (this.selectedId && !objects.some((o) => o.id === this.selectedId)) this.selectedId = null;
    this.#onCommit(objects);
  }
  /** Objects a click can reach, topmost first. */
  get pickable(): StageObject<G>[] {
    return this.objects.filter((o) => !o.hidden).reverse();
  }
}
