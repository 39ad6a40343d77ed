// A model's pre-label on the stage: the task's `prelabel` (`{objects: [...], confidence}` for object kinds,
// read by the kind's own reader) becomes suggested objects, drawn dashed with their confidence and never
// sent until accepted; accepting turns one into an ordinary object, discarding drops it. Pure functions
// over the object list: ObjectStore commits their results, so each is one undoable step.
import { isFiniteNumber, isRecord } from '../common';
import { newObjectId, type StageObject } from './object';

/** What a kind's reader gives for one object of a payload or pre-label. */
export interface ReadObject<G> {
  label: string;
  geometry: G;
  attributes?: Record<string, boolean | number | string>;
  confidence?: number;
}

/** Objects of a saved label or draft, ready to edit. */
export function stageObjects<G>(read: ReadonlyArray<ReadObject<G>>): StageObject<G>[] {
  return read.map((o) => ({ id: newObjectId(), label: o.label, geometry: o.geometry, ...(o.attributes ? { attributes: o.attributes } : {}) }));
}

/** The pre-label's objects as suggestions; an object without its own confidence takes the pre-label's. */
export function suggestionsOf<G>(prelabel: unknown, read: ReadonlyArray<ReadObject<G>>): StageObject<G>[] {
  const overall = isRecord(prelabel) && isFiniteNumber(prelabel.confidence) ? prelabel.confidence : undefined;
  return read.map((o) => {
    const confidence = o.confidence ?? overall;
    return { id: newObjectId(), label: o.label, geometry: o.geometry, ...(o.attributes ? { attributes: o.attributes } : {}), suggested: true, ...(confidence !== undefined ? { confidence } : {}) };
  });
}

/** The suggestion `id` accepted: an ordinary object from now on (its confidence no longer shown). */
export function acceptSuggestion<G>(objects: readonly StageObject<G>[], id: string): StageObject<G>[] {
  return objects.map((o) => (o.id === id && o.suggested ? accepted(o) : o));
}

export function acceptAllSuggestions<G>(objects: readonly StageObject<G>[]): StageObject<G>[] {
  return objects.map((o) => (o.suggested ? accepted(o) : o));
}

export function discardSuggestion<G>(objects: readonly StageObject<G>[], id: string): StageObject<G>[] {
  return objects.filter((o) => !(o.id === id && o.suggested));
}

/** The objects that make the label: every object but the suggestions not accepted. */
export function labelObjects<G>(objects: readonly StageObject<G>[]): StageObject<G>[] {
  return objects.filter((o) => !o.suggested);
}

function accepted<G>(o: StageObject<G>): StageObject<G> {
  const next = { ...o };
  delete next.suggested;
  delete next.confidence;
  return next;
}
