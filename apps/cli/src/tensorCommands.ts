import type { Command } from 'commander';
import { compress } from '@globalmcp/freqkv';
import { DEFAULT_HEAVY_HITTERS, DEFAULT_SINK_TOKENS, LococoError, fuse, fuseKv, slotPlan } from '@globalmcp/lococo';
import type { LococoKernels } from '@globalmcp/lococo';
import { DEFAULT_FREQKV_RETENTION, DEFAULT_SLOTS, compressPipeline } from '@globalmcp/pipeline';
import { formatShape } from '@globalmcp/tensor';
import type { Tensor } from '@globalmcp/tensor';
import { contextOf, examples, intOption, numberOption } from './context.js';
import type { Context } from './context.js';
import { UsageError, percent } from './output.js';
import type { Io } from './output.js';
import { cacheLayoutOf, heavyHittersOption, readKernelsFile, readTensorFile, writeTensorFile } from './tensorFiles.js';

interface TensorRun {
  readonly input: string;
  readonly output: string | undefined;
  readonly tensor: Tensor;
  readonly result: Tensor;
  readonly stats: Record<string, unknown>;
  readonly bytesWritten: number | undefined;
}

async function runOnFile(ctx: Context, input: string, output: string | undefined, tensorName: string | undefined, label: string, work: (tensor: Tensor) => { tensor: Tensor; stats: Record<string, unknown> }): Promise<TensorRun> {
  const bar = ctx.out.progress(label);
  bar.update(0, `reading ${input}`);
  const tensor = await readTensorFile(input, tensorName);
  bar.update(0.3, `${label} ${formatShape(tensor.shape)}`);
  const done = work(tensor);
  let bytesWritten: number | undefined;
  if (output !== undefined) {
    bar.update(0.8, `writing ${output}`);
    bytesWritten = await writeTensorFile(output, done.tensor);
  }
  bar.done();
  return { input, output, tensor, result: done.tensor, stats: done.stats, bytesWritten };
}

/**
 * Kernels hold one channel per fused slot, and --slots, --sinks and --heavy-hitters decide how many
 * slots are fused; the library's mismatch error cannot name the file or the flags, so check here first.
 */
async function kernelsFor(file: string | undefined, opts: { slots: number; sinks: number; heavyHitters: number }): Promise<LococoKernels | undefined> {
  if (file === undefined) return undefined;
  const kernels = await readKernelsFile(file);
  if (opts.sinks >= opts.slots) return kernels; // the library explains that one
  const { fused } = slotPlan(opts.slots, opts.sinks, opts.heavyHitters, opts.slots + 1);
  if (fused !== kernels.fused) {
    throw new LococoError(
      'SHAPE_MISMATCH',
      `${file} holds kernels for ${kernels.fused} fused slots, but --slots ${opts.slots} --sinks ${opts.sinks} --heavy-hitters ${opts.heavyHitters} fuse ${fused}: give the --slots, --sinks and --heavy-hitters the kernels were fitted with (globalmcp fit prints them under "use with")`,
    );
  }
  return kernels;
}

function report(ctx: Context, run: TensorRun, rows: [string, string][]): void {
  ctx.out.result(
    { input: run.input, output: run.output ?? null, shapeIn: run.tensor.shape, shapeOut: run.result.shape, stats: run.stats },
    () =>
      ctx.out.pairs([
        ['input', `${run.input} ${formatShape(run.tensor.shape)}`],
        ['output', run.output === undefined ? `${formatShape(run.result.shape)} (not written; give -o FILE)` : `${run.output} ${formatShape(run.result.shape)}`],
        ...rows,
      ]),
  );
}

export function registerTensorCommands(program: Command, io: Io): void {
  program
    .command('compress')
    .description('FreqKV: shorten a tensor along its token axis (DCT low-pass, sink tokens kept raw)')
    .argument('<in>', 'input tensor: .npy, .safetensors or .json')
    .option('-o, --output <file>', 'write the result; the format follows the extension (.npy, .safetensors, .json)')
    .option('--ratio <r>', 'fraction of the non-sink tokens removed, in [0, 1) (default 0.5)', numberOption('--ratio', (n) => n >= 0 && n < 1, 'a number in [0, 1)'))
    .option('--target <n>', 'tokens to keep in all, sinks included (instead of --ratio)', intOption('--target', 1))
    .option('--sinks <n>', 'tokens at the start kept raw', intOption('--sinks', 0), 4)
    .option('--axis <n>', 'token axis; negative counts from the end (default -2)', intOption('--axis', -64, 63))
    .option('--tensor <name>', 'which tensor of a .safetensors file')
    .addHelpText('after', examples('globalmcp compress kv.npy -o kv.small.npy --ratio 0.7 --sinks 4', 'globalmcp compress cache.safetensors --tensor layer0.k --target 512 -o k.npy', 'globalmcp compress kv.npy --json'))
    .action(async (input: string, opts: { output?: string; ratio?: number; target?: number; sinks: number; axis?: number; tensor?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      if (opts.ratio !== undefined && opts.target !== undefined) throw new UsageError('give either --ratio or --target, not both');
      const run = await runOnFile(ctx, input, opts.output, opts.tensor, 'compress', (tensor) => {
        const result = compress(tensor, {
          sinkTokens: opts.sinks,
          ...(opts.target !== undefined ? { targetTokens: opts.target } : { retention: 1 - (opts.ratio ?? 0.5) }),
          ...(opts.axis === undefined ? {} : { axis: opts.axis }),
        });
        return { tensor: result.tensor, stats: { ...result.stats } };
      });
      const s = run.stats as { tokensIn: number; tokensOut: number; bytesIn: number; bytesOut: number; energyKept: number; reconstructionError: number; ms: number };
      report(ctx, run, [
        ['tokens', `${s.tokensIn} -> ${s.tokensOut} (${opts.sinks} sinks kept raw)`],
        ['size', `${s.bytesIn} -> ${s.bytesOut} bytes (${percent(1 - s.bytesOut / s.bytesIn)} smaller)`],
        ['energy kept', percent(s.energyKept, 2)],
        ['reconstruction error', percent(s.reconstructionError, 2)],
        ['time', `${s.ms.toFixed(1)} ms`],
      ]);
    });

  program
    .command('fuse')
    .description('LoCoCo: fuse every sequence into exactly --slots tokens (sinks raw, heavy hitters verbatim, the rest convex mixtures)')
    .argument('<in>', 'input tensor: .npy, .safetensors or .json')
    .requiredOption('--slots <n>', 'output tokens per sequence, sinks included', intOption('--slots', 1))
    .option('-o, --output <file>', 'write the result (.npy, .safetensors, .json)')
    .option('--sinks <n>', 'tokens at the start kept raw', intOption('--sinks', 0), DEFAULT_SINK_TOKENS)
    .option('--heavy-hitters <share>', 'share of the slots after the sinks that keep top-scoring tokens verbatim', heavyHittersOption, DEFAULT_HEAVY_HITTERS)
    .option('--kv', 'treat the input as [..., 2 (K, V), heads, tokens, headDim] (default: when the shape has a size-2 axis at -4)')
    .option('--kernels <file>', 'kernels from globalmcp fit (default: the training-free kernels); give the --slots, --sinks and --heavy-hitters they were fitted with')
    .option('--tensor <name>', 'which tensor of a .safetensors file')
    .addHelpText('after', examples('globalmcp fuse kv.npy --slots 128 -o kv.128.npy', 'globalmcp fuse seq.npy --slots 64 --heavy-hitters 0.25 --kernels fitted.json --json'))
    .action(async (input: string, opts: { slots: number; output?: string; sinks: number; heavyHitters: number; kv?: boolean; kernels?: string; tensor?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const kernels = await kernelsFor(opts.kernels, opts);
      const run = await runOnFile(ctx, input, opts.output, opts.tensor, 'fuse', (tensor) => {
        const layout = cacheLayoutOf(tensor.shape, opts.kv);
        const options = { slots: opts.slots, sinkTokens: opts.sinks, heavyHitters: opts.heavyHitters, ...(kernels ? { kernels } : {}) };
        const result = layout === 'kv' ? fuseKv(tensor, options) : fuse(tensor, options);
        return { tensor: result.tensor, stats: { ...result.stats, layout } };
      });
      const s = run.stats as { tokensIn: number; tokensOut: number; sinkTokens: number; heavyHitters: number; fusedSlots: number; groups: number; ms: number; layout: string };
      report(ctx, run, [
        ['tokens', `${s.tokensIn} -> ${s.tokensOut} per sequence (${s.groups} sequences, ${s.layout})`],
        ['slots', `${s.sinkTokens} sinks, ${s.heavyHitters} heavy hitters, ${s.fusedSlots} fused${opts.kernels === undefined ? '' : ` (kernels ${opts.kernels})`}`],
        ['time', `${s.ms.toFixed(1)} ms`],
      ]);
    });

  program
    .command('pipeline')
    .description('FreqKV then LoCoCo, with stats per stage and the attention-output error kept')
    .argument('<in>', 'input tensor: .npy, .safetensors or .json')
    .option('-o, --output <file>', 'write the result (.npy, .safetensors, .json)')
    .option('--slots <n>', 'LoCoCo output tokens', intOption('--slots', 1), DEFAULT_SLOTS)
    .option('--retention <r>', 'fraction of the non-sink tokens FreqKV keeps', numberOption('--retention', (n) => n > 0 && n <= 1, 'a number in (0, 1]'), DEFAULT_FREQKV_RETENTION)
    .option('--sinks <n>', 'tokens at the start kept raw', intOption('--sinks', 0), DEFAULT_SINK_TOKENS)
    .option('--heavy-hitters <share>', 'LoCoCo: share of the slots after the sinks that keep top-scoring tokens verbatim', heavyHittersOption, DEFAULT_HEAVY_HITTERS)
    .option('--kernels <file>', 'LoCoCo kernels from globalmcp fit (default: the training-free kernels); give the --slots, --sinks and --heavy-hitters they were fitted with')
    .option('--tensor <name>', 'which tensor of a .safetensors file')
    .addHelpText('after', examples('globalmcp pipeline kv.npy --slots 128 -o kv.small.safetensors', 'globalmcp pipeline kv.npy --slots 64 --kernels kernels.json --json'))
    .action(async (input: string, opts: { output?: string; slots: number; retention: number; sinks: number; heavyHitters: number; kernels?: string; tensor?: string }, command: Command) => {
      const ctx = contextOf(command, io);
      const kernels = await kernelsFor(opts.kernels, opts);
      const run = await runOnFile(ctx, input, opts.output, opts.tensor, 'pipeline', (tensor) => {
        const result = compressPipeline(tensor, {
          layout: cacheLayoutOf(tensor.shape, undefined),
          sinkTokens: opts.sinks,
          freqkv: { retention: opts.retention },
          lococo: { slots: opts.slots, heavyHitters: opts.heavyHitters, ...(kernels ? { kernels } : {}) },
        });
        return { tensor: result.tensor, stats: { ...result.stats, layout: result.layout } };
      });
      const s = run.stats as { tokensIn: number; tokensOut: number; sizeReduction: number; ms: number; stages: { stage: string; ran: boolean; reason?: string; tokensIn: number; tokensOut: number; ms: number }[]; attentionError?: { median: number; p90: number } };
      report(ctx, run, [
        ...s.stages.map((st): [string, string] => [st.stage, st.ran ? `${st.tokensIn} -> ${st.tokensOut} (${st.ms.toFixed(1)} ms)${st.stage === 'lococo' && opts.kernels !== undefined ? `, kernels ${opts.kernels}` : ''}` : `skipped: ${st.reason ?? ''}`]),
        ['size', `${percent(s.sizeReduction)} smaller`],
        ['attention error', s.attentionError ? `median ${percent(s.attentionError.median, 2)}, p90 ${percent(s.attentionError.p90, 2)}` : 'not measured'],
        ['time', `${s.ms.toFixed(1)} ms`],
      ]);
    });
}
