export const TIERS = ['simple', 'moderate', 'complex'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * Where a failed tier falls back to, nearest first: a stronger model before a
 * weaker one, and never across two tiers.
 */
export const NEIGHBOUR_TIERS: Readonly<Record<Tier, readonly Tier[]>> = {
  simple: ['moderate'],
  moderate: ['complex', 'simple'],
  complex: ['moderate'],
};
