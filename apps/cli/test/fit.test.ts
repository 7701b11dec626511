import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitKernels, fuseKv, kernelsFromJson } from '@globalmcp/lococo';
import { compressPipeline } from '@globalmcp/pipeline';
import { parseNpy, serializeNpy, syntheticSequence } from '@globalmcp/tensor';
import type { Tensor } from '@globalmcp/tensor';
import { jsonSyntaxError, whereJsonFails } from '../src/tensorFiles.js';

const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const ESC = String.fromCharCode(27);

// Small enough that one fit takes well under a second: 2 heads x 96 tokens x headDim 4, 30 steps.
const HEADS = 2;
const TOKENS = 96;
const HEAD_DIM = 4;
const FIT = ['--slots', '16', '--kernel-size', '5', '--steps', '30', '--probes', '8'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface FitReport {
  output: string;
  bytesWritten: number;
  samples: string[];
  holdout: string[];
  layout: string;
  sequences: number;
  tokens: number;
  features: number;
  slots: number;
  sinkTokens: number;
  heavyHitterShare: number;
  heavyHitters: number;
  fusedSlots: number;
  kernelSize: number;
  steps: number;
  learningRate: number;
  probes: number;
  seed: number;
  seconds: number;
  trainingLoss: { first: number; last: number };
  loss: { probes: number; seed: number; train: { default: number; fitted: number }; holdout: { default: number; fitted: number } | null };
}

let dir: string;

function cli(args: readonly string[], node: readonly string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...node, BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '' }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A KV cache [1, 2 (K, V), heads, tokens, headDim] of AR(1) sequences, keys with a shared offset as real keys have. */
function kvCache(seed: number, tokens = TOKENS): Tensor {
  const data = new Float32Array(2 * HEADS * tokens * HEAD_DIM);
  for (let b = 0; b < 2 * HEADS; b++) {
    data.set(syntheticSequence({ tokens, dim: HEAD_DIM, seed: seed * 100 + b, offsetStd: b < HEADS ? 1 : 0, rho: 0.95, dtype: 'float32' }).data, b * tokens * HEAD_DIM);
  }
  return { data, shape: [1, 2, HEADS, tokens, HEAD_DIM] };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'globalmcp-fit-'));
  for (const seed of [1, 2, 3, 4]) await writeFile(join(dir, `kv${seed}.npy`), serializeNpy(kvCache(seed)));
  await writeFile(join(dir, 'short.npy'), serializeNpy(kvCache(5, 40)));
  await writeFile(join(dir, 'seq.npy'), serializeNpy(syntheticSequence({ tokens: TOKENS, dim: 8, seed: 6, dtype: 'float32' })));
  await writeFile(join(dir, 'flat.npy'), serializeNpy({ data: new Float64Array(TOKENS).fill(1), shape: [TOKENS] }));
  const good = await readFile(join(dir, 'kv1.npy'));
  await writeFile(join(dir, 'truncated.npy'), good.subarray(0, good.length - 10));
  await writeFile(join(dir, 'fake-tty.cjs'), 'process.stderr.isTTY = true;\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fit', () => {
  let report: FitReport;

  beforeAll(async () => {
    const run = await cli(['--json', 'fit', 'kv1.npy', 'kv2.npy', 'kv3.npy', '--holdout', 'kv4.npy', ...FIT, '--seed', '3', '-o', 'kernels.json']);
    expect(run.code, run.stderr).toBe(0);
    report = JSON.parse(run.stdout) as FitReport;
  });

  it('reports the shapes, the settings and the default and fitted loss as JSON', () => {
    expect(report).toMatchObject({
      output: 'kernels.json',
      samples: ['kv1.npy', 'kv2.npy', 'kv3.npy'],
      holdout: ['kv4.npy'],
      layout: 'kv',
      sequences: 3 * HEADS,
      tokens: TOKENS,
      features: 2 * HEAD_DIM,
      slots: 16,
      sinkTokens: 4,
      heavyHitterShare: 0.5,
      heavyHitters: 6,
      fusedSlots: 6,
      kernelSize: 5,
      steps: 30,
      learningRate: 0.05,
      probes: 8,
      seed: 3,
      loss: { probes: 64, seed: 4 },
    });
    expect(report.seconds).toBeGreaterThan(0);
    expect(report.seconds).toBeLessThan(20);
    const { train, holdout } = report.loss;
    for (const value of [train.default, train.fitted, holdout?.default, holdout?.fitted, report.trainingLoss.first, report.trainingLoss.last]) {
      expect(Number.isFinite(value) && (value as number) > 0, String(value)).toBe(true);
    }
    expect(train.fitted).toBeLessThan(train.default);
    expect(report.trainingLoss.last).toBeLessThan(report.trainingLoss.first);
  });

  it('writes kernels that kernelsFromJson loads, in one piece and with no temporary file left behind', async () => {
    const text = await readFile(join(dir, 'kernels.json'), 'utf8');
    expect(Buffer.byteLength(text)).toBe(report.bytesWritten);
    const kernels = kernelsFromJson(JSON.parse(text));
    expect({ fused: kernels.fused, features: kernels.features, size: kernels.size }).toEqual({ fused: 6, features: 2 * HEAD_DIM, size: 5 });
    expect(Math.max(...Array.from(kernels.weights, Math.abs))).toBeGreaterThan(0);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('prints a summary and a loss table for people, with nothing on stderr off a terminal', async () => {
    const run = await cli(['fit', 'kv1.npy', 'kv2.npy', '--holdout', 'kv3.npy', '--holdout', 'kv4.npy', ...FIT, '-o', 'human.json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^samples +2 files, 4 sequences of 96 tokens x 8 features \(kv\)\n/);
    expect(run.stdout).toMatch(/^kernels +6 fused slots x 8 features x size 5 \(16 slots: 4 sinks, 6 heavy hitters, 6 fused\)$/m);
    expect(run.stdout).toMatch(/^fitting +30 steps, learning rate 0\.05, 8 probes, seed 0: \d+\.\d\d s$/m);
    expect(run.stdout).toMatch(/^use with +globalmcp fuse <in> --slots 16 --sinks 4 --heavy-hitters 0\.5 --kernels human\.json$/m);
    expect(run.stdout).toMatch(/^loss +default +fitted +change\ntraining +\d\.\d+(e-\d+)? +\d\.\d+(e-\d+)? +-\d+\.\d%\nholdout +\d/m);
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toContain(ESC);
  });

  it('draws a progress bar on stderr on a terminal only, and clears it at the end', async () => {
    const plain = await cli(['fit', 'kv1.npy', ...FIT, '-o', 'plain.json']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toContain(ESC);
    expect(plain.stderr).not.toContain('\r');
    const tty = await cli(['fit', 'kv1.npy', ...FIT, '-o', 'tty.json'], ['--require', join(dir, 'fake-tty.cjs')]);
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stderr).toMatch(/\rfit \[[#.]{24}\] \d+% reading kv1\.npy/);
    expect(tty.stderr).toMatch(/\rfit \[[#.]{24}\] \d+% step 30\/30, loss \d/);
    expect(tty.stderr.endsWith(`\r${ESC}[K`)).toBe(true);
    expect(tty.stdout).toMatch(/^samples +1 file, 2 sequences of 96 tokens/);
    expect(tty.stdout).not.toContain(ESC);
  });

  it('gives the same kernels file for the same seed, and other kernels for another seed', async () => {
    const runs = await Promise.all([
      cli(['fit', 'kv1.npy', 'kv2.npy', ...FIT, '--seed', '11', '-o', 'a.json']),
      cli(['fit', 'kv1.npy', 'kv2.npy', ...FIT, '--seed', '11', '-o', 'b.json']),
      cli(['fit', 'kv1.npy', 'kv2.npy', ...FIT, '--seed', '12', '-o', 'c.json']),
    ]);
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const [a, b, c] = await Promise.all(['a.json', 'b.json', 'c.json'].map((f) => readFile(join(dir, f), 'utf8')));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('makes fuse --kernels use the fitted kernels: same shape, other fused slots', async () => {
    const plain = await cli(['fuse', 'kv4.npy', '--slots', '16', '-o', 'fused.default.npy']);
    const fitted = await cli(['fuse', 'kv4.npy', '--slots', '16', '--kernels', 'kernels.json', '-o', 'fused.fitted.npy']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(fitted.code, fitted.stderr).toBe(0);
    const a = parseNpy(new Uint8Array(await readFile(join(dir, 'fused.default.npy'))));
    const b = parseNpy(new Uint8Array(await readFile(join(dir, 'fused.fitted.npy'))));
    expect(b.shape).toEqual([1, 2, HEADS, 16, HEAD_DIM]);
    expect(b.shape).toEqual(a.shape);
    expect(Array.from(b.data)).not.toEqual(Array.from(a.data));
    // kernels fitted for 16 slots do not fit 20
    const other = await cli(['fuse', 'kv4.npy', '--slots', '20', '--kernels', 'kernels.json']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^globalmcp: LococoError SHAPE_MISMATCH: kernels\.json holds kernels for 6 fused slots, but --slots 20 --sinks 4 --heavy-hitters 0\.5 fuse 8: give the --slots, --sinks and --heavy-hitters the kernels were fitted with/m);
    // the fused slots agree but the features do not: the library's check
    await writeFile(join(dir, 'seq5.npy'), serializeNpy(syntheticSequence({ tokens: TOKENS, dim: 5, seed: 7, dtype: 'float32' })));
    const seq = await cli(['fuse', 'seq5.npy', '--slots', '16', '--kernels', 'kernels.json']);
    expect(seq.code).toBe(1);
    expect(seq.stderr).toMatch(/LococoError SHAPE_MISMATCH: kernels were made for 6 fused slots x 8 features; this call needs 6 x 5/);
  });

  it('answers bad arguments with exit code 2, a message naming the flag or file, and no output file', async () => {
    await rm(join(dir, 'never.json'), { force: true });
    await rm(join(dir, 'dir.json'), { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'dir.json'));
    const o = ['-o', 'never.json'];
    const cases: [string[], RegExp][] = [
      [['fit', 'kv1.npy', '--slots', '16'], /required option '-o, --output <file>' not specified/],
      [['fit', 'kv1.npy', ...o], /required option '--slots <n>' not specified/],
      [['fit', '--slots', '16', ...o], /missing required argument 'samples'/],
      [['fit', 'kv1.npy', '--slots', '16', '--steps', '0', ...o], /--steps "0": expected an integer from 1 to 100000/],
      [['fit', 'kv1.npy', '--slots', '16', '--learning-rate', '0', ...o], /--learning-rate "0": expected a positive number/],
      [['fit', 'kv1.npy', '--slots', '16', '--kernel-size', '4', ...o], /--kernel-size "4": expected an odd integer >= 1/],
      [['fit', 'kv1.npy', '--slots', '16', '--seed', '-1', ...o], /--seed "-1": expected an integer from 0 to 4294967295/],
      [['fit', 'kv1.npy', '--slots', '96', ...o], /--slots 96 must be less than the tokens of every file; kv1\.npy has 96: there is nothing to fuse/],
      [['fit', 'kv1.npy', '--slots', '48', '--holdout', 'short.npy', ...o], /--slots 48 must be less than the tokens of every file; short\.npy has 40/],
      [['fit', 'kv1.npy', '--slots', '4', ...o], /--sinks 4 must be less than --slots 4/],
      [['fit', 'kv1.npy', '--slots', '5', ...o], /--slots 5 with --sinks 4 and --heavy-hitters 0\.5 leaves no fused slots to learn \(1 slot after the sinks keeps a heavy hitter\); raise --slots or lower --heavy-hitters/],
      [['fit', 'kv1.npy', '--slots', '16', '--heavy-hitters', '1', ...o], /--heavy-hitters 1 leaves no fused slots to learn \(12 slots after the sinks keep heavy hitters\)/],
      [['fit', 'kv1.npy', '--slots', '16', '--heavy-hitters', '1.5', ...o], /--heavy-hitters "1\.5": expected a number in \[0, 1\]/],
      [['fit', 'kv1.npy', '--slots', '16', '-o', 'kernels.npy'], /-o kernels\.npy: kernels are written as JSON; give a file ending in \.json/],
      [['fit', 'kv1.npy', '--slots', '16', '-o', 'dir.json'], /-o dir\.json: is a directory/],
      [['fit', 'kv1.npy', 'short.npy', '--slots', '16', ...o], /short\.npy has 40 tokens but kv1\.npy has 96: files fitted or measured together must have the same number of tokens/],
      [['fit', 'kv1.npy', 'seq.npy', '--slots', '16', ...o], /seq\.npy reads as sequences but kv1\.npy as a KV cache: every file must have the same layout/],
      [['fit', 'seq.npy', '--kv', '--slots', '16', ...o], /seq\.npy: --kv needs shape \[\.\.\.layers, 2, heads, tokens, headDim\]; got \[96, 8\]/],
      [['fit', 'flat.npy', '--slots', '16', ...o], /flat\.npy: shape \[96\] has no feature axis/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    for (const [i, [args, message]] of cases.entries()) {
      const run = runs[i] as Run;
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stderr).toMatch(/--help/);
      expect(run.stdout).toBe('');
    }
    await expect(stat(join(dir, 'never.json'))).rejects.toThrow(/ENOENT/);
  });

  it('fails with exit code 1 on a truncated or missing file, and leaves an existing output file as it was', async () => {
    await writeFile(join(dir, 'kept.json'), 'previous kernels\n');
    const cases: [string[], RegExp][] = [
      [['fit', 'kv1.npy', 'truncated.npy'], /TensorError INVALID_FORMAT: truncated\.npy: header says shape \[1, 2, 2, 96, 4\] of <f4 \(6144 bytes\) but the file holds 6134 data bytes \(truncated\?\)/],
      [['fit', 'kv1.npy', '--holdout', 'truncated.npy'], /truncated\.npy: header says shape/],
      [['fit', 'missing.npy'], /missing\.npy: cannot read \(no such file\)/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli([...args, ...FIT, '-o', 'kept.json'])));
    for (const [i, [args, message]] of cases.entries()) {
      const run = runs[i] as Run;
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
    }
    expect(await readFile(join(dir, 'kept.json'), 'utf8')).toBe('previous kernels\n');
  });

  it('shows examples in its help', async () => {
    const run = await cli(['fit', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Examples:\n {2}\$ globalmcp fit /);
    expect(run.stdout).toMatch(/--holdout <file>/);
  });
});

describe('fit --heavy-hitters, and fitted kernels in fuse and pipeline', () => {
  const FIT_OPTIONS = { layout: 'kv', slots: 16, sinkTokens: 4, kernelSize: 5, steps: 30, learningRate: 0.05, probes: 8, seed: 0, validation: 0 } as const;
  let quarter: FitReport;

  beforeAll(async () => {
    const runs = await Promise.all([cli(['--json', 'fit', 'kv1.npy', 'kv2.npy', ...FIT, '--heavy-hitters', '0.25', '-o', 'quarter.json']), cli(['fit', 'kv1.npy', 'kv2.npy', ...FIT, '-o', 'half.json'])]);
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    quarter = JSON.parse(runs[0]?.stdout ?? '') as FitReport;
  });

  async function npy(file: string): Promise<Tensor> {
    return parseNpy(new Uint8Array(await readFile(join(dir, file))));
  }

  async function kernelsFile(file: string) {
    return kernelsFromJson(JSON.parse(await readFile(join(dir, file), 'utf8')));
  }

  it('fits with the heavy-hitter share given: the kernels fitKernels gives for that share, and the fuse command that goes with them', async () => {
    expect(quarter).toMatchObject({ slots: 16, sinkTokens: 4, heavyHitterShare: 0.25, heavyHitters: 3, fusedSlots: 9 });
    const expected = fitKernels([await npy('kv1.npy'), await npy('kv2.npy')], { ...FIT_OPTIONS, heavyHitters: 0.25 }).kernels;
    const written = await kernelsFile('quarter.json');
    expect({ fused: written.fused, features: written.features, size: written.size }).toEqual({ fused: 9, features: 2 * HEAD_DIM, size: 5 });
    expect(Array.from(written.weights)).toEqual(Array.from(expected.weights));
    expect(Array.from(written.bias)).toEqual(Array.from(expected.bias));
    expect(written.blend).toBe(expected.blend);
    const human = await cli(['fit', 'kv1.npy', ...FIT, '--heavy-hitters', '0.25', '--kv', '-o', 'quarter.human.json']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^kernels +9 fused slots x 8 features x size 5 \(16 slots: 4 sinks, 3 heavy hitters, 9 fused\)$/m);
    expect(human.stdout).toMatch(/^use with +globalmcp fuse <in> --slots 16 --sinks 4 --heavy-hitters 0\.25 --kv --kernels quarter\.human\.json$/m);
  });

  it('makes fuse --heavy-hitters --kernels give exactly what fuseKv gives, and refuses the kernels with another share', async () => {
    const run = await cli(['--json', 'fuse', 'kv4.npy', '--slots', '16', '--heavy-hitters', '0.25', '--kernels', 'quarter.json', '-o', 'fused.quarter.npy']);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { stats: { heavyHitters: number; fusedSlots: number } }).stats).toMatchObject({ heavyHitters: 3, fusedSlots: 9 });
    const expected = fuseKv(await npy('kv4.npy'), { slots: 16, sinkTokens: 4, heavyHitters: 0.25, kernels: await kernelsFile('quarter.json') }).tensor;
    const written = await npy('fused.quarter.npy');
    expect(written.shape).toEqual(expected.shape);
    expect(Array.from(written.data)).toEqual(Array.from(expected.data));
    const otherShare = await Promise.all([cli(['fuse', 'kv4.npy', '--slots', '16', '--kernels', 'quarter.json']), cli(['pipeline', 'kv4.npy', '--slots', '16', '--kernels', 'quarter.json'])]);
    for (const run of otherShare) {
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^globalmcp: LococoError SHAPE_MISMATCH: quarter\.json holds kernels for 9 fused slots, but --slots 16 --sinks 4 --heavy-hitters 0\.5 fuse 6: give the --slots, --sinks and --heavy-hitters the kernels were fitted with \(globalmcp fit prints them under "use with"\)$/m);
    }
  });

  it('makes pipeline --kernels fuse with the fitted kernels: other output than the defaults, exactly the library result', async () => {
    const input = await npy('kv4.npy');
    const cases = [
      { file: 'half.json', flags: [] as string[], heavyHitters: 0.5 },
      { file: 'quarter.json', flags: ['--heavy-hitters', '0.25'], heavyHitters: 0.25 },
    ];
    for (const { file, flags, heavyHitters } of cases) {
      const plain = await cli(['--json', 'pipeline', 'kv4.npy', '--slots', '16', ...flags, '-o', 'piped.default.npy']);
      const fitted = await cli(['--json', 'pipeline', 'kv4.npy', '--slots', '16', ...flags, '--kernels', file, '-o', 'piped.fitted.npy']);
      expect(plain.code, plain.stderr).toBe(0);
      expect(fitted.code, fitted.stderr).toBe(0);
      const stages = (JSON.parse(fitted.stdout) as { stats: { stages: { stage: string; ran: boolean; tokensOut: number }[] } }).stats.stages;
      expect(stages.map((st) => [st.stage, st.ran, st.tokensOut])).toEqual([
        ['freqkv', true, 4 + Math.floor(0.3 * (TOKENS - 4))],
        ['lococo', true, 16],
      ]);
      const kernels = await kernelsFile(file);
      const expected = compressPipeline(input, { sinkTokens: 4, freqkv: { retention: 0.3 }, lococo: { slots: 16, heavyHitters, kernels } }).tensor;
      const withDefaults = compressPipeline(input, { sinkTokens: 4, freqkv: { retention: 0.3 }, lococo: { slots: 16, heavyHitters } }).tensor;
      const a = await npy('piped.default.npy');
      const b = await npy('piped.fitted.npy');
      expect(b.shape, file).toEqual([1, 2, HEADS, 16, HEAD_DIM]);
      expect(Array.from(b.data), file).toEqual(Array.from(expected.data));
      expect(Array.from(a.data), file).toEqual(Array.from(withDefaults.data));
      expect(Array.from(b.data), file).not.toEqual(Array.from(a.data));
    }
    const human = await cli(['pipeline', 'kv4.npy', '--slots', '16', '--kernels', 'half.json']);
    expect(human.stdout).toMatch(/^lococo +31 -> 16 \(\d+\.\d ms\), kernels half\.json$/m);
  });

  it('fails with exit code 1 and a message naming the kernels file and what is wrong with it, before writing anything', async () => {
    const { mkdir } = await import('node:fs/promises');
    const good = await readFile(join(dir, 'half.json'), 'utf8');
    await writeFile(join(dir, 'broken.json'), '{\n  "format": "globalmcp-lococo-kernels",\n  "version": 1,,\n  "fused": 6\n}\n');
    await writeFile(join(dir, 'cut.json'), good.slice(0, 100));
    await writeFile(join(dir, 'empty.json'), '');
    await writeFile(join(dir, 'wrong.json'), JSON.stringify({ ...JSON.parse(good), bias: [1, 2] }));
    await writeFile(join(dir, 'other.json'), '{"kernels": []}');
    await mkdir(join(dir, 'kernels.d.json'), { recursive: true });
    const cases: [string, RegExp][] = [
      ['nowhere.json', /^globalmcp: LococoError INVALID_KERNELS: kernels file not found: nowhere\.json$/m],
      ['broken.json', /^globalmcp: LococoError INVALID_KERNELS: broken\.json: invalid JSON at line 3 column 16: expected a property name in double quotes, found ','$/m],
      ['cut.json', /^globalmcp: LococoError INVALID_KERNELS: cut\.json: invalid JSON at line 1 column 101: expected .*, found the end of the file$/m],
      ['empty.json', /^globalmcp: LococoError INVALID_KERNELS: empty\.json: invalid JSON at line 1 column 1: expected a value, found the end of the file$/m],
      ['wrong.json', /^globalmcp: LococoError INVALID_KERNELS: wrong\.json: invalid kernels JSON: bias has 2 entries; expected fused = 6$/m],
      ['other.json', /^globalmcp: LococoError INVALID_KERNELS: other\.json: invalid kernels JSON: .*format/m],
      ['kernels.d.json', /^globalmcp: LococoError INVALID_KERNELS: kernels file kernels\.d\.json: cannot read \(is a directory\)$/m],
    ];
    await rm(join(dir, 'never.npy'), { force: true });
    for (const command of ['fuse', 'pipeline']) {
      const runs = await Promise.all(cases.map(([file]) => cli([command, 'kv4.npy', '--slots', '16', '--kernels', file, '-o', 'never.npy'])));
      for (const [i, [file, message]] of cases.entries()) {
        const run = runs[i] as Run;
        expect(run.code, `${command} ${file}`).toBe(1);
        expect(run.stderr, `${command} ${file}`).toMatch(message);
        expect(run.stdout).toBe('');
      }
    }
    await expect(stat(join(dir, 'never.npy'))).rejects.toThrow(/ENOENT/);
  });

  it('answers a --heavy-hitters out of [0, 1] with exit code 2 in fuse and pipeline too', async () => {
    const runs = await Promise.all([
      cli(['fuse', 'kv4.npy', '--slots', '16', '--heavy-hitters', '-0.1']),
      cli(['pipeline', 'kv4.npy', '--slots', '16', '--heavy-hitters', 'half']),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2]);
    expect(runs[0]?.stderr).toMatch(/--heavy-hitters "-0\.1": expected a number in \[0, 1\]/);
    expect(runs[1]?.stderr).toMatch(/--heavy-hitters "half": expected a number in \[0, 1\]/);
  });
});

describe('whereJsonFails', () => {
  function where(text: string): string {
    try {
      JSON.parse(text);
      return 'valid';
    } catch (error) {
      return whereJsonFails(text, error);
    }
  }

  it('gives the line, the column and what was expected, including where V8 gives no position', () => {
    expect(where('{"a": 1,\n "b": [1,\n    }')).toBe("at line 3 column 5: expected a value, found '}'");
    expect(where('{\n"a": tru}')).toBe("at line 2 column 9: expected 'true', found '}'");
    expect(where('[1, 2')).toBe("at line 1 column 6: expected ',' or ']', found the end of the file");
    expect(where('{"a": 1}}')).toBe("at line 1 column 9: expected the end of the file after the value, found '}'");
    expect(where('\ufeff{}')).toBe('at line 1 column 1: expected a value, found U+FEFF');
    expect(where('["a\tb"]')).toBe('at line 1 column 4: expected a character of the string (control characters must be escaped), found U+0009');
    expect(where('[1.e5]')).toBe("at line 1 column 4: expected a digit after the decimal point, found 'e'");
    expect(where('["\\u12g4"]')).toBe("at line 1 column 7: expected a hex digit of a \\u escape, found 'g'");
  });

  it('finds an error exactly when JSON.parse refuses (seeded edits of a valid document)', () => {
    const base = JSON.stringify({ format: 'x', v: [1, -2.5e-3, 0, true, null, 'a\\"b\u00e9'], o: { p: [[], {}] } }, null, 1);
    const alphabet = '{}[]",:01-.eE+tfnul \n\\ux';
    let seed = 1;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * n);
    };
    let refused = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const chars = base.split('');
      for (let edit = 0; edit <= next(3); edit++) {
        const at = next(chars.length);
        const c = alphabet[next(alphabet.length)] as string;
        const op = next(3);
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, c);
        else chars[at] = c;
      }
      const text = chars.join('');
      let parses = true;
      try {
        JSON.parse(text);
      } catch {
        parses = false;
        refused++;
      }
      expect(jsonSyntaxError(text) === null, text).toBe(parses);
    }
    expect(refused).toBeGreaterThan(1000);
  });
});
