import { assertFinite, asTensor, bytesPerElement, dtypeOf, tokenLayout, withTokens } from '@globalmcp/tensor';
import type { FloatArray, Tensor } from '@globalmcp/tensor';
import type { CompressResult } from './compress.js';
import { keptSpanLength } from './compress.js';
import { resolveCounts } from './counts.js';
import { FreqKvError } from './freqKvError.js';
import { CompressOptionsSchema, parseOptions } from './options.js';
import type { CompressOptions } from './options.js';

/**
 * The simple reducers FreqKV is measured against, at the same output size as
 * {@link compress} with the same options (sinks, recent window, retention or
 * target). Each returns the reduced tensor and its token counts; stats report
 * sizes only (energy and reconstruction error are the DCT's notions).
 *
 * - `sinksAndRecent`: StreamingLLM. The sinks and the most recent tokens; the
 *   rest is dropped, so the counts no longer sum to the input's total.
 * - `strideSubsample`: the first token of each of L equal groups of the span, counting for its group.
 * - `neighbourMean`: the count-weighted mean of each of L equal groups, counting for its group.
 */
export type Baseline = 'sinksAndRecent' | 'strideSubsample' | 'neighbourMean';

export const BASELINES: readonly Baseline[] = ['sinksAndRecent', 'strideSubsample', 'neighbourMean'];

export function reduceBaseline<A extends FloatArray>(method: Baseline, input: Tensor<A>, options: CompressOptions = {}): CompressResult<A> {
  const started = performance.now();
  if (!BASELINES.includes(method)) {
    throw new FreqKvError('INVALID_OPTIONS', `unknown baseline ${JSON.stringify(method)}; expected one of ${BASELINES.join(', ')}`);
  }
  const opts = parseOptions(CompressOptionsSchema, options, `${method} options`);
  const tensor = asTensor(input);
  assertFinite(tensor);
  const { axis, outer, tokens, inner } = tokenLayout(tensor.shape, opts.axis);
  const sinks = opts.sinkTokens;
  const recent = opts.recentTokens;
  if (sinks + recent >= tokens) {
    throw new FreqKvError('TOO_FEW_TOKENS', `sinkTokens (${sinks}) + recentTokens (${recent}) must be less than the number of tokens (${tokens})`);
  }
  const counts = resolveCounts(opts.counts, tokens);
  const span = tokens - sinks - recent;
  const keep = keptSpanLength(span, sinks + recent, opts.retention, opts.targetTokens);
  const tokensOut = sinks + keep + recent;

  // Output token j is the (weighted) combination of input tokens groupStart[j]..groupEnd[j].
  const groupStart = new Int32Array(tokensOut);
  const groupEnd = new Int32Array(tokensOut);
  for (let t = 0; t < sinks; t++) {
    groupStart[t] = t;
    groupEnd[t] = t + 1;
  }
  for (let g = 0; g < keep; g++) {
    const j = sinks + g;
    if (method === 'sinksAndRecent') {
      groupStart[j] = tokens - recent - keep + g;
      groupEnd[j] = groupStart[j] + 1;
    } else {
      groupStart[j] = sinks + Math.floor((g * span) / keep);
      groupEnd[j] = sinks + Math.floor(((g + 1) * span) / keep);
    }
  }
  for (let r = 0; r < recent; r++) {
    groupStart[sinks + keep + r] = tokens - recent + r;
    groupEnd[sinks + keep + r] = tokens - recent + r + 1;
  }

  const outCounts = new Float64Array(tokensOut);
  for (let j = 0; j < tokensOut; j++) {
    let c = 0;
    for (let t = groupStart[j] as number; t < (groupEnd[j] as number); t++) c += counts[t] as number;
    outCounts[j] = c;
  }

  const src = tensor.data;
  const out = (src instanceof Float64Array ? new Float64Array(outer * tokensOut * inner) : new Float32Array(outer * tokensOut * inner)) as A;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < tokensOut; j++) {
      const dst = (o * tokensOut + j) * inner;
      const first = groupStart[j] as number;
      if (method !== 'neighbourMean' || (groupEnd[j] as number) - first === 1) {
        out.set(src.subarray((o * tokens + first) * inner, (o * tokens + first + 1) * inner), dst);
        continue;
      }
      const weight = 1 / (outCounts[j] as number);
      for (let t = first; t < (groupEnd[j] as number); t++) {
        const w = (counts[t] as number) * weight;
        const row = (o * tokens + t) * inner;
        for (let i = 0; i < inner; i++) out[dst + i] = (out[dst + i] as number) + w * (src[row + i] as number);
      }
    }
  }
  const bytes = bytesPerElement(dtypeOf(src));
  return {
    tensor: { data: out, shape: Object.freeze(withTokens(tensor.shape, axis, tokensOut)) },
    counts: outCounts,
    stats: {
      tokensIn: tokens,
      tokensOut,
      bytesIn: src.length * bytes,
      bytesOut: out.length * bytes,
      sinkTokens: sinks,
      recentTokens: recent,
      spanIn: span,
      spanOut: keep,
      energyKept: Number.NaN,
      reconstructionError: Number.NaN,
      ms: performance.now() - started,
    },
  };
}
