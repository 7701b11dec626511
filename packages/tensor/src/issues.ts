/** The parts of a zod issue that a readable message needs (structural, so this package needs no zod). */
export interface ValidationIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly input?: unknown;
  readonly keys?: readonly string[];
}

/**
 * One line per issue: `field: what was expected; got what was given`, joined
 * with "; ". Packages use it to turn their schemas' errors into their own error class.
 */
export function describeIssues(issues: readonly ValidationIssue[], what: string): string {
  return issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.map(String).join('.') : what;
      if (issue.code === 'unrecognized_keys') return `${field}: unknown option(s) ${(issue.keys ?? []).map((k) => `"${k}"`).join(', ')}`;
      const got = 'input' in issue ? `; got ${describeValue(issue.input)}` : '';
      return `${field}: ${issue.message}${got}`;
    })
    .join('; ');
}

export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value;
}

/** An array or a (non-BigInt) typed array: what options that take one number per token accept. Values are checked where they are used. */
export function isNumberList(value: unknown): value is ArrayLike<number> {
  if (Array.isArray(value)) return true;
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array);
}
