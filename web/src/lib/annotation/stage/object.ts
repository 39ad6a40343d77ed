// One object of a label on the stage (any kind: `G` is its geometry), and its ids. Plain TS so the pure
// helpers (suggestions.ts) and their tests use it without the Svelte compiler.
export interface StageObject<G> {
  id: string;
  label: string;
  geometry: G;
  attributes?: Record<string, boolean | number | string>;
  /** Hidden and locked are for the person editing; they are not part of the payload. */
  hidden?: boolean;
  locked?: boolean;
  /** A model's pre-label suggestion not yet accepted (not sent until accepted). */
  suggested?: boolean;
  confidence?: number;
}

let nextId = 0;
export const newObjectId = () => `o${++nextId}`;
