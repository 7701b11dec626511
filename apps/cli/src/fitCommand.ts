import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_HEAVY_HITTERS, DEFAULT_KERNEL_SIZE, DEFAULT_MIN_IMPROVEMENT, DEFAULT_REGULARIZATION, DEFAULT_SINK_TOKENS, defaultKernels, fitKernels, kernelLoss, kernelsToJson, slotPlan } from '@globalmcp/lococo';
import type { FitOptions, LococoKernels } from '@globalmcp/lococo';
import { writeFileAtomic } from '@globalmcp/registry';
import { formatShape, shapeSize } from '@globalmcp/tensor';
import type { Tensor } from '@globalmcp/tensor';
import { contextOf, examples, intOption, numberOption } from './context.js';
import type { Context } from './context.js';
import { UsageError, percent } from './output.js';
import type { Io, Progress } from './output.js';
import { cacheLayoutOf, heavyHittersOption, readTensorFile } from './tensorFiles.js';
import type { CacheLayout } from './tensorFiles.js';

/** Defaults of `fitKernels` (packages/lococo/src/fit.ts), repeated here only to show them in --help. */
const DEFAULT_STEPS = 100;
const DEFAULT_LEARNING_RATE = 0.05;
const DEFAULT_PROBES = 16;
/**
 * Unlike `fitKernels` (0.25), the command keeps no files aside by default: it
 * writes the fitted kernels and reports their loss on the --holdout files, so
 * the choice stays with the user. --validation 0.25 gives the library's fallback.
 */
const DEFAULT_VALIDATION = 0;
/**
 * The reported losses use fresh probe queries (seed + 1), not the ones the
 * optimiser saw, and more of them than a training step, so "fitted < default"
 * is not an artefact of the training probes.
 */
const EVAL_PROBES = 64;
/** Redraw the bar at most this often: a step can take microseconds. */
const PROGRESS_INTERVAL_MS = 100;

interface Sample {
  readonly file: string;
  readonly tensor: Tensor;
  readonly layout: CacheLayout;
  readonly sequences: number;
  readonly tokens: number;
  readonly features: number;
}

function describeSample(file: string, tensor: Tensor, kv: boolean | undefined): Sample {
  const shape = tensor.shape;
  const rank = shape.length;
  const layout = cacheLayoutOf(shape, kv);
  if (layout === 'kv' && (rank < 4 || shape[rank - 4] !== 2)) {
    throw new UsageError(`${file}: --kv needs shape [...layers, 2, heads, tokens, headDim]; got ${formatShape(shape)}`);
  }
  if (rank < 2) throw new UsageError(`${file}: shape ${formatShape(shape)} has no feature axis; expected [..., tokens, features] or a KV cache [...layers, 2, heads, tokens, headDim]`);
  const dim = shape[rank - 1] as number;
  const sample = {
    file,
    tensor,
    layout,
    sequences: layout === 'kv' ? shapeSize(shape.slice(0, rank - 4)) * (shape[rank - 3] as number) : shapeSize(shape.slice(0, rank - 2)),
    tokens: shape[rank - 2] as number,
    features: layout === 'kv' ? 2 * dim : dim,
  };
  if (sample.sequences === 0 || dim === 0) throw new UsageError(`${file}: shape ${formatShape(shape)} holds no ${sample.sequences === 0 ? 'sequences' : 'features'}`);
  return sample;
}

/** Every file must match the first in layout and features; with `sameTokens`, in tokens too (fitKernels fits one token count). */
function checkAgree(samples: readonly Sample[], reference: Sample, sameTokens: boolean, slots: number): void {
  for (const s of samples) {
    if (s.layout !== reference.layout) throw new UsageError(`${s.file} reads as ${s.layout === 'kv' ? 'a KV cache' : 'sequences'} but ${reference.file} as ${reference.layout === 'kv' ? 'a KV cache' : 'sequences'}: every file must have the same layout (give --kv to read all as KV caches)`);
    if (s.features !== reference.features) throw new UsageError(`${s.file} has ${s.features} features per token but ${reference.file} has ${reference.features}: every file must have the same features`);
    if (sameTokens && s.tokens !== reference.tokens) throw new UsageError(`${s.file} has ${s.tokens} tokens but ${reference.file} has ${reference.tokens}: files fitted or measured together must have the same number of tokens`);
    if (slots >= s.tokens) throw new UsageError(`--slots ${slots} must be less than the tokens of every file; ${s.file} has ${s.tokens}: there is nothing to fuse`);
  }
}

async function readSamples(files: readonly string[], opts: FitFlags, onFile: (file: string) => void): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const file of files) {
    onFile(file);
    samples.push(describeSample(file, await readTensorFile(file, opts.tensor), opts.kv));
  }
  return samples;
}

function kernelSizeOption(value: string): number {
  const n = intOption('--kernel-size', 1)(value);
  if (n % 2 === 0) throw new UsageError(`--kernel-size ${JSON.stringify(value)}: expected an odd integer >= 1 (padding (size - 1) / 2 keeps the length)`);
  return n;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

interface FitFlags {
  readonly output: string;
  readonly slots: number;
  readonly sinks: number;
  readonly heavyHitters: number;
  readonly kv?: boolean;
  readonly steps: number;
  readonly learningRate: number;
  readonly probes: number;
  readonly seed: number;
  readonly kernelSize: number;
  readonly regularization: number;
  readonly validation: number;
  readonly tensor?: string;
  readonly holdout?: string[];
}

interface LossPair {
  readonly default: number;
  readonly fitted: number;
}

/** Checks the flags that do not need the files, so a mistake costs no reading or fitting. */
async function checkFlags(opts: FitFlags): Promise<number> {
  if (extname(opts.output).toLowerCase() !== '.json') throw new UsageError(`-o ${opts.output}: kernels are written as JSON; give a file ending in .json`);
  const existing = await stat(opts.output).catch(() => undefined);
  if (existing?.isDirectory() === true) throw new UsageError(`-o ${opts.output}: is a directory; give a file ending in .json`);
  if (opts.sinks >= opts.slots) throw new UsageError(`--sinks ${opts.sinks} must be less than --slots ${opts.slots}, leaving room for heavy hitters and fused slots`);
  const { heavy, fused } = slotPlan(opts.slots, opts.sinks, opts.heavyHitters, opts.slots + 1);
  if (fused === 0) {
    throw new UsageError(
      `--slots ${opts.slots} with --sinks ${opts.sinks} and --heavy-hitters ${opts.heavyHitters} leaves no fused slots to learn (${plural(heavy, 'slot')} after the sinks ${heavy === 1 ? 'keeps a heavy hitter' : 'keep heavy hitters'}); raise --slots or lower --heavy-hitters`,
    );
  }
  return fused;
}

async function runFit(ctx: Context, files: readonly string[], opts: FitFlags) {
  const fused = await checkFlags(opts);
  const bar = ctx.out.progress('fit');
  try {
    return await fitAndWrite(bar, files, opts, fused);
  } finally {
    bar.done(); // also on an error, so its message does not land on the bar's line
  }
}

async function fitAndWrite(bar: Progress, files: readonly string[], opts: FitFlags, fused: number) {
  const holdoutFiles = opts.holdout ?? [];
  const total = files.length + holdoutFiles.length;
  let read = 0;
  const reading = (file: string) => bar.update((0.05 * read++) / total, `reading ${file}`);
  const train = await readSamples(files, opts, reading);
  const holdout = await readSamples(holdoutFiles, opts, reading);
  const first = train[0] as Sample;
  checkAgree(train, first, true, opts.slots);
  checkAgree(holdout, holdout[0] ?? first, true, opts.slots);
  checkAgree(holdout.slice(0, 1), first, false, opts.slots);

  const options: FitOptions = {
    layout: first.layout,
    slots: opts.slots,
    sinkTokens: opts.sinks,
    heavyHitters: opts.heavyHitters,
    kernelSize: opts.kernelSize,
    steps: opts.steps,
    learningRate: opts.learningRate,
    probes: opts.probes,
    seed: opts.seed,
    regularization: opts.regularization,
    validation: opts.validation,
  };
  let drawn = 0;
  const started = performance.now();
  const { kernels, losses } = fitKernels(
    train.map((s) => s.tensor),
    options,
    (step, loss) => {
      const now = performance.now();
      if (now - drawn < PROGRESS_INTERVAL_MS && step + 1 < opts.steps) return;
      drawn = now;
      bar.update(0.05 + (0.85 * (step + 1)) / opts.steps, `step ${step + 1}/${opts.steps}, loss ${loss.toPrecision(4)}`);
    },
  );
  const seconds = (performance.now() - started) / 1000;

  bar.update(0.9, 'measuring the loss');
  const evaluation: FitOptions = { ...options, probes: EVAL_PROBES, seed: opts.seed + 1 };
  const defaults = defaultKernels(fused, first.features, opts.kernelSize);
  const measure = (samples: readonly Sample[], k: LococoKernels) => kernelLoss(samples.map((s) => s.tensor), k, evaluation);
  const trainLoss: LossPair = { default: measure(train, defaults), fitted: measure(train, kernels) };
  const holdoutLoss: LossPair | null = holdout.length === 0 ? null : { default: measure(holdout, defaults), fitted: measure(holdout, kernels) };

  bar.update(0.98, `writing ${opts.output}`);
  const text = `${JSON.stringify(kernelsToJson(kernels))}\n`;
  await writeFileAtomic(opts.output, text);
  return { train, holdout, first, fused, kernels, losses, seconds, trainLoss, holdoutLoss, bytes: Buffer.byteLength(text) };
}

export function registerFitCommand(program: Command, io: Io): void {
  program
    .command('fit')
    .description('LoCoCo: learn fusion kernels from sample caches, for fuse --kernels')
    .argument('<samples...>', 'sample caches (.npy, .safetensors, .json), read as fuse reads them; all with the same shape')
    .requiredOption('-o, --output <file>', 'where to write the kernels (.json; written atomically, replacing the file)')
    .requiredOption('--slots <n>', 'output tokens per sequence, sinks included: use the same with fuse --kernels', intOption('--slots', 1))
    .option('--sinks <n>', 'tokens at the start kept raw: use the same with fuse --kernels', intOption('--sinks', 0), DEFAULT_SINK_TOKENS)
    .option('--heavy-hitters <share>', 'share of the slots after the sinks that keep top-scoring tokens verbatim: use the same with fuse --kernels', heavyHittersOption, DEFAULT_HEAVY_HITTERS)
    .option('--kv', 'treat the files as [..., 2 (K, V), heads, tokens, headDim] (default: when the shape has a size-2 axis at -4)')
    .option('--steps <n>', 'optimisation steps', intOption('--steps', 1, 100_000), DEFAULT_STEPS)
    .option('--learning-rate <x>', 'Adam step size', numberOption('--learning-rate', (n) => n > 0, 'a positive number'), DEFAULT_LEARNING_RATE)
    .option('--probes <n>', 'random probe queries per sequence and step', intOption('--probes', 1, 4096), DEFAULT_PROBES)
    .option('--seed <n>', 'seed of the probe queries: the same seed and files give the same kernels', intOption('--seed', 0, 0xffff_ffff), 0)
    .option('--kernel-size <n>', 'convolution kernel size (odd)', kernelSizeOption, DEFAULT_KERNEL_SIZE)
    .option('--regularization <x>', 'L2 penalty pulling the convolution weights toward the defaults (zero)', numberOption('--regularization', (n) => n >= 0 && n <= 1e6, 'a number in [0, 1000000]'), DEFAULT_REGULARIZATION)
    .option(
      '--validation <share>',
      `share of the sample files kept aside: the fitted kernels are written only if they beat the defaults on them by ${DEFAULT_MIN_IMPROVEMENT * 100}%, else the defaults are (0: off)`,
      numberOption('--validation', (n) => n >= 0 && n <= 0.9, 'a number in [0, 0.9]'),
      DEFAULT_VALIDATION,
    )
    .option('--tensor <name>', 'which tensor of .safetensors files')
    .option('--holdout <file>', 'a cache to measure the kernels on but not fit them to; repeat for several', collect)
    .addHelpText(
      'after',
      `
The kernels fit fuse (and pipeline) with the same --slots, --sinks and --heavy-hitters: those decide how many slots are fused.
The losses reported are the mean squared relative attention-output error of the fused cache, for ${EVAL_PROBES} random probe
queries per sequence (seed + 1), with the training-free kernels and with the fitted ones.
${examples(
  'globalmcp fit a.npy b.npy c.npy --slots 128 -o kernels.json',
  'globalmcp fit kv1.safetensors kv2.safetensors --tensor layer0 --slots 64 --steps 200 --holdout kv3.safetensors -o kernels.json',
  'globalmcp --json fit a.npy --slots 32 --heavy-hitters 0.25 --kernel-size 5 --seed 7 -o kernels.json',
  'globalmcp fuse big.npy --slots 32 --heavy-hitters 0.25 --kernels kernels.json -o big.32.npy',
)}`,
    )
    .action(async (files: string[], opts: FitFlags, command: Command) => {
      const ctx = contextOf(command, io);
      const run = await runFit(ctx, files, opts);
      const { first, kernels, trainLoss, holdoutLoss } = run;
      const heavy = opts.slots - opts.sinks - run.fused;
      const sequences = run.train.reduce((n, s) => n + s.sequences, 0);
      ctx.out.result(
        {
          output: opts.output,
          bytesWritten: run.bytes,
          samples: files,
          holdout: opts.holdout ?? [],
          layout: first.layout,
          sequences,
          tokens: first.tokens,
          features: first.features,
          slots: opts.slots,
          sinkTokens: opts.sinks,
          heavyHitterShare: opts.heavyHitters,
          heavyHitters: heavy,
          fusedSlots: run.fused,
          kernelSize: kernels.size,
          steps: opts.steps,
          learningRate: opts.learningRate,
          probes: opts.probes,
          seed: opts.seed,
          seconds: run.seconds,
          trainingLoss: { first: run.losses[0] ?? null, last: run.losses[run.losses.length - 1] ?? null },
          loss: { probes: EVAL_PROBES, seed: opts.seed + 1, train: trainLoss, holdout: holdoutLoss },
        },
        () => {
          const change = (pair: LossPair) => (pair.default > 0 ? `${pair.fitted <= pair.default ? '-' : '+'}${percent(Math.abs(pair.fitted / pair.default - 1))}` : 'n/a');
          const row = (label: string, pair: LossPair) => [label, pair.default.toPrecision(4), pair.fitted.toPrecision(4), change(pair)];
          const pairs = ctx.out.pairs([
            ['samples', `${plural(files.length, 'file')}, ${plural(sequences, 'sequence')} of ${first.tokens} tokens x ${first.features} features (${first.layout})`],
            ['kernels', `${run.fused} fused slots x ${first.features} features x size ${kernels.size} (${opts.slots} slots: ${opts.sinks} sinks, ${heavy} heavy hitters, ${run.fused} fused)`],
            ['fitting', `${opts.steps} steps, learning rate ${opts.learningRate}, ${opts.probes} probes, seed ${opts.seed}: ${run.seconds.toFixed(2)} s`],
            ['output', `${opts.output} (${run.bytes} bytes)`],
            ['use with', `globalmcp fuse <in> --slots ${opts.slots} --sinks ${opts.sinks} --heavy-hitters ${opts.heavyHitters}${opts.kv === true ? ' --kv' : ''} --kernels ${opts.output}`],
          ]);
          const table = ctx.out.table(['loss', 'default', 'fitted', 'change'], [row('training', trainLoss), ...(holdoutLoss === null ? [] : [row('holdout', holdoutLoss)])]);
          return `${pairs}\n\n${table}`;
        },
      );
    });
}
