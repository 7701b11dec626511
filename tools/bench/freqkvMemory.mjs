// Peak memory of one compress of [32, TOKENS, 128] float32, in a fresh process:
// (input + peak RSS growth during the call) / input. Run by freqkvBench.mjs with --expose-gc.
import { resourceUsage } from 'node:process';
import { compress } from '@globalmcp/freqkv';
import { closeWorkers, compressParallel } from '@globalmcp/freqkv/parallel';

const tokens = Number(process.argv[2] ?? 4096);
const mode = process.argv[3] ?? 'serial';
const data = new Float32Array(32 * tokens * 128);
for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 1e-3);
globalThis.gc?.();
const before = process.memoryUsage().rss;
const peakBefore = resourceUsage().maxRSS * 1024;
const result = mode === 'parallel' ? await compressParallel({ data, shape: [32, tokens, 128] }) : compress({ data, shape: [32, tokens, 128] });
const peak = Math.max(peakBefore, resourceUsage().maxRSS * 1024);
const extra = Math.max(0, peak - before);
await closeWorkers();
console.log(JSON.stringify({ mode, inputBytes: data.byteLength, extraBytes: extra, ratio: (data.byteLength + extra) / data.byteLength, tokensOut: result.stats.tokensOut }));
