import { readFileSync } from 'node:fs';

export interface DctCase {
  n: number;
  x: number[];
  dct: number[];
  y: number[];
  idct: number[];
}

export interface CompressCase {
  shape: number[];
  axis: number;
  sinkTokens: number;
  recentTokens: number;
  keep: number;
  span: number;
  data: number[];
  counts: number[];
  expected: number[];
  expectedShape: number[];
  expectedSpanCounts: number[];
}

/** Fixtures written by tools/fixtures/generateFreqkvFixtures.py with scipy (committed; regenerate with `npm run fixtures`). */
export function loadFixture<T>(name: 'dct.json' | 'compress.json'): { scipy: string; cases: T[] } {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as { scipy: string; cases: T[] };
}

/** Largest absolute difference between two sequences of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}
