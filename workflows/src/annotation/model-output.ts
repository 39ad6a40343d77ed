// Helpers the modules' pre-label decoders share: reading a model's outputs against a convention and
// refusing, with a reason a person can act on, outputs that do not fit it. Pure.
import type { AnnotationContext, ModelOutput } from './module.ts';

/** The model's outputs do not fit the kind's pre-label convention (a model for another task or schema). */
export class PrelabelMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrelabelMismatchError';
  }
}

/** The first output of the model (outputs are given in the model's output order). */
export function firstOutput(outputs: Readonly<Record<string, ModelOutput>>): ModelOutput {
  const first = Object.values(outputs)[0];
  if (!first) throw new PrelabelMismatchError('the model has no output');
  return first;
}

const shape = (dims: readonly number[]): string => `[${dims.join(', ')}]`;

/**
 * The output's dims without leading batch dims of 1, checked to have `rank` dims (e.g. [1, N, 6] -> [N, 6]).
 * `expected` names the convention for the error ("[N, 6]").
 */
export function squeezeLeading(output: ModelOutput, rank: number, expected: string): number[] {
  const dims = [...output.dims];
  while (dims.length > rank && dims[0] === 1) dims.shift();
  if (dims.length !== rank) throw new PrelabelMismatchError(`the first output has shape ${shape(output.dims)}, expected ${expected}`);
  const size = dims.reduce((p, d) => p * d, 1);
  if (size !== output.data.length) throw new PrelabelMismatchError(`the first output has shape ${shape(output.dims)} but ${output.data.length} values`);
  return dims;
}

/** The image size a decoder maps onto (the activity always knows it). */
export function imageSize(ctx: AnnotationContext): { width: number; height: number } {
  const { width, height } = ctx.media;
  if (!width || !height) throw new Error('pre-labelling needs the image size (ctx.media.width and height)');
  return { width, height };
}

export const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
