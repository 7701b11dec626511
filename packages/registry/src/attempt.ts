import type { Tier } from './tiers.js';

/** One model tried by a fallback chain, successful or not. */
export interface Attempt {
  readonly model: string;
  readonly endpoint: string;
  /** The tier the model was taken from (`undefined` when models were named explicitly). */
  readonly tier: Tier | undefined;
  readonly outcome: 'ok' | 'failed' | 'skipped';
  /** Why it failed or was skipped: the error code and message. */
  readonly error?: { readonly code: string; readonly message: string };
  readonly durationMs: number;
  /** HTTP requests made, retries included. */
  readonly requests: number;
}
