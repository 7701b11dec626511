import { z } from 'zod';

const TierPolicySchema = z.strictObject({
  /** Only these models may answer prompts of this tier (registered names). */
  allow: z.array(z.string().min(1)).optional(),
  /** These models never answer prompts of this tier. */
  exclude: z.array(z.string().min(1)).optional(),
});

/** When to ask a classifier model instead of trusting the rules (the `hybrid` key of `config/router.json`). */
export const HybridSchema = z
    .strictObject({
      /** A registered model to ask when the rules are unsure; without one the rules always decide. */
      model: z.string().min(1).optional(),
      /** Ask the model when the rules' confidence is below this. */
      threshold: z.number().min(0).max(1).default(0.5),
      /** How long to wait for its one-word answer before keeping the rules' tier. */
      timeoutMs: z.number().int().min(1).max(120_000).default(3_000),
    })
    .prefault({});

/** Allowed and excluded models per tier (the `tiers` key of `config/router.json`). */
export const TierPoliciesSchema = z
  .strictObject({ simple: TierPolicySchema.optional(), moderate: TierPolicySchema.optional(), complex: TierPolicySchema.optional() })
  .prefault({});
