// Peak memory of one compress of [32, TOKENS, 128] float32, in a fresh process:
// (input + peak RSS growth during the call) / input. Run by freqkvBench.mjs.
// The peak is the kernel's high-water mark (VmHWM), reset just before the
// call: getrusage's maxRSS would include the parent's peak, inherited across fork.
import { readFileSync, writeFileSync } from 'node:fs';
import { compress } from '@globalmcp/freqkv';
import { closeWorkers, compressParallel } from '@globalmcp/freqkv/parallel';

const tokens = Number(process.argv[2] ?? 4096);
const mode = process.argv[3] ?? 'serial';

function statusBytes(field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (match === null) throw new Error(`/proc/self/status has no ${field}`);
  return Number(match[1]) * 1024;
}

const data = new Float32Array(32 * tokens * 128);
for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 1e-3);
if (mode === 'parallel') await compressParallel({ data: data.subarray(0, 32 * 64 * 128), shape: [32, 64, 128] }); // start the workers first: steady state is measured
globalThis.gc?.();
writeFileSync('/proc/self/clear_refs', '5'); // reset VmHWM to the current RSS
const before = statusBytes('VmRSS');
const result = mode === 'parallel' ? await compressParallel({ data, shape: [32, tokens, 128] }) : compress({ data, shape: [32, tokens, 128] });
const extra = Math.max(0, statusBytes('VmHWM') - before);
await closeWorkers();
console.log(JSON.stringify({ mode, inputBytes: data.byteLength, extraBytes: extra, ratio: (data.byteLength + extra) / data.byteLength, tokensOut: result.stats.tokensOut }));
