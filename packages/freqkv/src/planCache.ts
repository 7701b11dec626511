import { PairedDct } from './pairedDct.js';

const MAX_PLANS = 32;
const plans = new Map<number, PairedDct>();

/**
 * A shared plan per length. Plans carry scratch, which is safe because every
 * caller runs a transform to completion synchronously before another can start.
 */
export function pairedDct(n: number): PairedDct {
  let plan = plans.get(n);
  if (plan === undefined) {
    plan = new PairedDct(n);
    if (plans.size >= MAX_PLANS) plans.delete(plans.keys().next().value as number);
    plans.set(n, plan);
  }
  return plan;
}
