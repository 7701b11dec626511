// npm start (until the MCP server exists): compress a synthetic KV cache on
// embedded defaults with FreqKV and with the FreqKV -> LoCoCo pipeline, and
// show what was kept, how fast, and what it costs in attention fidelity next
// to the simple baselines.
import { attentionError, compress, reduceBaseline, splitKv, syntheticSequence } from '@globalmcp/freqkv';
import { compressPipeline } from '@globalmcp/pipeline';

const LAYERS = 2;
const HEADS = 4;
const TOKENS = 4096;
const DIM = 128;

/** [layers, 2, heads, tokens, dim]: smooth AR(1) keys (with a shared offset) and values, as in numerics.md. */
function syntheticKv() {
  const block = TOKENS * DIM;
  const data = new Float32Array(LAYERS * 2 * HEADS * block);
  let seed = 1;
  for (let l = 0; l < LAYERS; l++) {
    for (let kv = 0; kv < 2; kv++) {
      for (let h = 0; h < HEADS; h++) {
        const seq = syntheticSequence({ tokens: TOKENS, dim: DIM, offsetStd: kv === 0 ? 1 : 0, seed: seed++, dtype: 'float32' });
        data.set(seq.data, ((l * 2 + kv) * HEADS + h) * block);
      }
    }
  }
  return { data, shape: [LAYERS, 2, HEADS, TOKENS, DIM] };
}

const pct = (x) => `${(100 * x).toFixed(2)}%`;
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

const kv = syntheticKv();
const options = { sinkTokens: 4, retention: 0.5 };
console.log(`GlobalMCP: FreqKV compression of a synthetic KV cache [${kv.shape.join(', ')}] (float32), embedded defaults\n`);

const result = compress(kv, options);
const s = result.stats;
console.log(`compress: ${s.tokensIn} -> ${s.tokensOut} tokens (${s.sinkTokens} sinks kept raw, span ${s.spanIn} -> ${s.spanOut})`);
console.log(`          ${mib(s.bytesIn)} -> ${mib(s.bytesOut)}, energy kept ${pct(s.energyKept)}, reconstruction error ${pct(s.reconstructionError)}, ${s.ms.toFixed(0)} ms`);
console.log(`          token counts: sinks ${result.counts[0]}, each span slot ~${result.counts[4].toFixed(2)}, total ${result.counts.reduce((a, b) => a + b, 0).toFixed(1)}\n`);

const reference = splitKv(kv);
const rows = [
  ['FreqKV (DCT) + log-count bias', attentionError(reference, splitKv(result.tensor, result.counts))],
  ['FreqKV (DCT), no bias', attentionError(reference, splitKv(result.tensor, result.counts), { countBias: false })],
];
for (const [label, method] of [
  ['neighbour mean + bias', 'neighbourMean'],
  ['stride-2 subsample + bias', 'strideSubsample'],
  ['4 sinks + recent (StreamingLLM)', 'sinksAndRecent'],
]) {
  const r = reduceBaseline(method, kv, options);
  rows.push([label, attentionError(reference, splitKv(r.tensor, r.counts))]);
}
console.log(`attention-output error at equal size (${s.tokensOut} tokens), 64 random probe queries x ${LAYERS * HEADS} heads:`);
console.log(`  ${'method'.padEnd(34)} ${'median'.padStart(8)} ${'p90'.padStart(8)}`);
for (const [label, err] of rows) console.log(`  ${label.padEnd(34)} ${pct(err.median).padStart(8)} ${pct(err.p90).padStart(8)}`);
const pipeline = compressPipeline(kv, { fidelity: { probes: 64 } });
console.log(`\npipeline (what the MCP server's process_full_pipeline will run): ${pipeline.stats.tokensIn} -> ${pipeline.stats.tokensOut} tokens, ${pct(pipeline.stats.sizeReduction)} smaller, ${pipeline.stats.ms.toFixed(0)} ms`);
for (const stage of pipeline.stats.stages) {
  console.log(`  ${stage.stage.padEnd(7)} ${stage.ran ? `${stage.tokensIn} -> ${stage.tokensOut} tokens, ${stage.ms.toFixed(0)} ms${stage.energyKept === undefined ? '' : `, energy kept ${pct(stage.energyKept)}`}` : `skipped: ${stage.reason}`}`);
}
console.log(`  attention-output error of the result: median ${pct(pipeline.stats.attentionError.median)}, p90 ${pct(pipeline.stats.attentionError.p90)}`);
console.log('\nNext: `npm test` runs every check; `npm run eval:compression` and `npm run bench` measure more. See README.md.');
