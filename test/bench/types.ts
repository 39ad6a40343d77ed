// Shape of one benchmark figure: every measurement sits beside a baseline measured in the same run.
export interface BenchFigure {
  /** e.g. "claimNextTask via GraphQL, 64 clients" */
  name: string;
  /** what was measured, e.g. "claims/s" or "ms" */
  unit: string;
  value: number;
  baselineName: string;
  baselineValue: number;
  /** value / baselineValue; say in `note` which direction is better */
  ratio: number;
  target?: string;
  met?: boolean;
  note?: string;
  extra?: Record<string, number | string>;
}

export interface BenchSuite {
  /** short id, used on the command line: `pnpm bench quality` */
  id: string;
  title: string;
  run(): Promise<BenchFigure[]>;
  /** Filled by run(): where the figures were measured (browser version, renderer, load average), written beside them. */
  environment?: Record<string, string | number>;
}
