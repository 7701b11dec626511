/**
 * Whether a tool name matches a glob: `*` matches any run of characters (also none), `?` exactly one character
 * (code point), everything else itself, case-sensitively, as tool names are. No character classes, braces or
 * escapes: tool names are plain identifiers, and `path.matchesGlob` needs Node 22.
 *
 * Not a regular expression on purpose: `a*a*a*a*a*a*b` turned into `^.*a.*a…b$` backtracks for minutes on a
 * 128-character name in V8. This is the usual wildcard walk, which remembers only the last `*` and so takes at
 * most O(name × glob) steps.
 */
export function matchesGlob(name: string, glob: string): boolean {
  const s = Array.from(name);
  const p = Array.from(glob);
  let si = 0;
  let pi = 0;
  let starPi = -1;
  let starSi = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === s[si]))) {
      si++;
      pi++;
    } else if (pi < p.length && p[pi] === '*') {
      starPi = pi++;
      starSi = si;
    } else if (starPi >= 0) {
      // Let the last `*` swallow one more character and retry what follows it.
      pi = starPi + 1;
      si = ++starSi;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
