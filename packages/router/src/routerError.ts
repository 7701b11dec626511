/**
 * Codes of {@link RouterError}. Stable: callers may switch on them.
 *
 * - `INVALID_PROMPT`: the prompt is not a string, or is empty after trimming whitespace; or the context is not a string.
 * - `CONFIG_NOT_FOUND`: the router config file does not exist (the message names the path).
 * - `CONFIG_INVALID`: the config file is not valid JSON (the message names the file, line and column), or a value
 *   is missing, of the wrong type, out of range or unknown (one line per problem: file, JSON path, what was expected).
 * - `INVALID_PATTERN`: a rule's regular expression does not compile, or uses a backreference; the message names the
 *   rule's id and tier and quotes the regex engine's complaint.
 * - `UNSAFE_PATTERN`: a rule's regular expression could backtrack catastrophically (nested or adjacent overlapping
 *   quantifiers, overlapping alternatives under a quantifier, an unanchored leading repetition); the message names
 *   the rule, the fragment at fault and why.
 * - `NO_MODEL`: routing found no model that may answer a prompt of the tier (the tier's allow/exclude lists leave
 *   none and the fallback is "error").
 * - `INVALID_FEEDBACK`: feedback names a tier that is not simple, moderate or complex.
 * - `UNKNOWN_PROMPT_ID`: feedback refers to a prompt id that is not among the recorded decisions.
 */
export type RouterErrorCode =
  | 'INVALID_PROMPT'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'INVALID_PATTERN'
  | 'UNSAFE_PATTERN'
  | 'NO_MODEL'
  | 'INVALID_FEEDBACK'
  | 'UNKNOWN_PROMPT_ID';

export class RouterError extends Error {
  override readonly name = 'RouterError';
  readonly code: RouterErrorCode;

  constructor(code: RouterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
