// Test helpers shared by the quality engine's property tests (seeded generators; not part of the public API).
import { createRng, type Rng } from './random.ts';

/** Runs `body` for `cases` seeded cases; the case index is in the failure message via `label`. */
export function forAllSeeds(cases: number, body: (rng: Rng, caseIndex: number) => void): void {
  for (let i = 0; i < cases; i++) {
    const rng = createRng(`property-${i}`);
    try {
      body(rng, i);
    } catch (error) {
      if (error instanceof Error) error.message = `property case ${i}: ${error.message}`;
      throw error;
    }
  }
}
