// Locations tests share: the repo root and the data folder beside it.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedData = resolve(repoRoot, '..', 'shared', 'data');
export const dataPath = (...parts: string[]): string => join(sharedData, ...parts);
