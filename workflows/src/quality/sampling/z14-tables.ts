// ANSI/ASQ Z1.4-2008 (= MIL-STD-105E) tables for single sampling, normal inspection, as data.
// Table I (general inspection levels I, II, III) and Table II-A (master table). Cells are "Ac/Re",
// "↓" (use the first plan below the arrow) or "↑" (use the first plan above the arrow).

/** Sample size code letters in table order. */
export const Z14_CODE_LETTERS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J', 'K', 'L', 'M', 'N', 'P', 'Q', 'R'] as const;

/** One Z1.4 sample size code letter. */
export type Z14CodeLetter = (typeof Z14_CODE_LETTERS)[number];

/** General inspection levels of Table I. */
export type Z14InspectionLevel = 'I' | 'II' | 'III';

/** Table I: upper bound of each lot-size range (inclusive) and the code letter per general level. */
export const Z14_LOT_SIZE_TABLE: ReadonlyArray<{ maxLotSize: number; I: Z14CodeLetter; II: Z14CodeLetter; III: Z14CodeLetter }> = [
  { maxLotSize: 8, I: 'A', II: 'A', III: 'B' },
  { maxLotSize: 15, I: 'A', II: 'B', III: 'C' },
  { maxLotSize: 25, I: 'B', II: 'C', III: 'D' },
  { maxLotSize: 50, I: 'C', II: 'D', III: 'E' },
  { maxLotSize: 90, I: 'C', II: 'E', III: 'F' },
  { maxLotSize: 150, I: 'D', II: 'F', III: 'G' },
  { maxLotSize: 280, I: 'E', II: 'G', III: 'H' },
  { maxLotSize: 500, I: 'F', II: 'H', III: 'J' },
  { maxLotSize: 1200, I: 'G', II: 'J', III: 'K' },
  { maxLotSize: 3200, I: 'H', II: 'K', III: 'L' },
  { maxLotSize: 10000, I: 'J', II: 'L', III: 'M' },
  { maxLotSize: 35000, I: 'K', II: 'M', III: 'N' },
  { maxLotSize: 150000, I: 'L', II: 'N', III: 'P' },
  { maxLotSize: 500000, I: 'M', II: 'P', III: 'Q' },
  { maxLotSize: Number.POSITIVE_INFINITY, I: 'N', II: 'Q', III: 'R' },
];

/** Table II-A: sample size per code letter. */
export const Z14_SAMPLE_SIZES: Readonly<Record<Z14CodeLetter, number>> = {
  A: 2,
  B: 3,
  C: 5,
  D: 8,
  E: 13,
  F: 20,
  G: 32,
  H: 50,
  J: 80,
  K: 125,
  L: 200,
  M: 315,
  N: 500,
  P: 800,
  Q: 1250,
  R: 2000,
};

/** Table II-A column headings: AQL in percent nonconforming (≤ 10) or nonconformities per hundred units. */
export const Z14_AQLS = [0.01, 0.015, 0.025, 0.04, 0.065, 0.1, 0.15, 0.25, 0.4, 0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10, 15, 25, 40, 65, 100, 150, 250, 400, 650, 1000] as const;

/**
 * Table II-A cells, one row per code letter, one cell per AQL column. The R row's 0.015 column (an arrow
 * pointing below the last row in the printed table) is stored as "↑".
 */
export const Z14_MASTER_TABLE: Readonly<Record<Z14CodeLetter, readonly string[]>> = {
  // prettier-ignore
  A: ['↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '30/31'],
  B: ['↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '30/31', '44/45'],
  C: ['↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '30/31', '44/45', '↑'],
  D: ['↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '30/31', '44/45', '↑', '↑'],
  E: ['↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '30/31', '44/45', '↑', '↑', '↑'],
  F: ['↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '↑', '↑', '↑', '↑', '↑', '↑'],
  G: ['↓', '↓', '↓', '↓', '↓', '↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '↑', '↑', '↑', '↑', '↑', '↑', '↑'],
  H: ['↓', '↓', '↓', '↓', '↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑'],
  J: ['↓', '↓', '↓', '↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑'],
  K: ['↓', '↓', '↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑'],
  L: ['↓', '↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑'],
  M: ['↓', '↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑'],
  N: ['↓', '↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑'],
  P: ['↓', '0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑'],
  Q: ['0/1', '↑', '↓', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑'],
  R: ['↑', '↑', '1/2', '2/3', '3/4', '5/6', '7/8', '10/11', '14/15', '21/22', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑', '↑'],
};
