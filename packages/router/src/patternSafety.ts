/**
 * A static check for regular expressions that can backtrack catastrophically, run on every rule at config load.
 *
 * The pattern is parsed (JavaScript syntax, as compiled with the `i` flag and without `u`) into a small syntax
 * tree, each character class approximated by its ASCII members plus one bit for "some non-ASCII character". Four
 * shapes are rejected, each with the fragment at fault:
 *
 * 1. nested quantifiers (star height > 1) whose inner repetition can hand characters to the next or previous
 *    iteration of the outer one: `(a+)+`, `([a-z]+)*=`, `(.*a){20}`, `(\w+\s?)*` (exponential);
 * 2. alternatives under a quantifier that can match the same text: `(a|aa)*`, `(\w|\d)+` (exponential);
 * 3. adjacent unbounded quantifiers, with only optional items between them, where a character can end the first
 *    and start the second: `\d+\d+`, `.*.*=`, `\w+\s*\w+` (polynomial);
 * 4. a pattern that starts with an unbounded repetition and no anchor (`\b`, `^`, a lookbehind) or literal
 *    before it, like `\w+ing`: scanning a long run of such characters restarts at every position (quadratic);
 * 5. an unbounded repetition further on that can run over the start of another match, like the `.*` of
 *    `\bexplain\b.*\bcode\b`: on a long line that repeats the first word, every start scans to the end of the line
 *    (quadratic). `\s+` cannot (a match starts with a letter) and neither can `\w+` after a leading `\b` (no match
 *    starts inside a word); a bounded gap such as `.{0,80}` is the fix.
 *
 * Backreferences are refused outright (matching with them is NP-hard). The check errs on the side of refusing:
 * `(ab|a)*` is refused though it is only ambiguous next to a `b`. It does not find every super-linear pattern
 * (`a\w+b` on a long run of `a`s is quadratic); the classifier's scan window bounds what such a pattern can cost.
 */

/** Quantifier bounds at or above this count as unbounded for checks 3 and 4. */
const UNBOUNDED = 100;

/** Why a pattern was refused; `fragment` is the part of the source at fault. */
export interface PatternProblem {
  kind: 'syntax' | 'backreference' | 'nested-quantifier' | 'overlapping-alternation' | 'adjacent-quantifiers' | 'leading-repetition' | 'unbounded-gap';
  message: string;
}

/**
 * Where a match of a pattern can start: at a word (a run of ASCII letters, digits and "_") that is one of `exact`
 * (lower case; a word of under four characters must equal it, a longer word must start with it when it has four)
 * or that starts with one of `open` (under four characters). Known when the pattern begins with `\b` and a few
 * literal letters, as most rules do; the classifier then runs the rule only at such words.
 */
export interface WordPrefixes {
  exact: string[];
  open: string[];
}

/** A pattern that passed the checks, with where its matches can start when that is known. */
export interface AnalyzedPattern {
  source: string;
  prefixes: WordPrefixes | undefined;
}

/** How much of a class of non-ASCII characters a set holds. */
const enum Part {
  None = 0,
  Some = 1,
  All = 2,
}

/** Non-ASCII characters that `\s` matches. */
function isUnicodeSpace(code: number): boolean {
  return code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

/**
 * ASCII members as four 32-bit words; non-ASCII characters as two classes, the spaces `\s` matches and the rest,
 * each held in full, in part or not at all. That keeps `\s` and `\S` apart, which one "non-ASCII" bit would not.
 */
class CharSet {
  readonly bits = new Uint32Array(4);
  space: Part = Part.None;
  rest: Part = Part.None;

  add(code: number): void {
    if (code < 128) this.bits[code >>> 5]! |= 1 << (code & 31);
    else if (isUnicodeSpace(code)) this.space = Math.max(this.space, Part.Some);
    else this.rest = Math.max(this.rest, Part.Some);
  }

  addRange(from: number, to: number): void {
    for (let c = from; c <= Math.min(to, 127); c++) this.add(c);
    // a range reaching past ASCII may cover any non-ASCII character; "Some" keeps the check on the strict side
    if (to >= 128) {
      this.space = Math.max(this.space, Part.Some);
      this.rest = Math.max(this.rest, Part.Some);
    }
  }

  has(code: number): boolean {
    return code < 128 ? (this.bits[code >>> 5]! & (1 << (code & 31))) !== 0 : (isUnicodeSpace(code) ? this.space : this.rest) !== Part.None;
  }

  union(o: CharSet): CharSet {
    for (let i = 0; i < 4; i++) this.bits[i]! |= o.bits[i]!;
    this.space = Math.max(this.space, o.space);
    this.rest = Math.max(this.rest, o.rest);
    return this;
  }

  overlaps(o: CharSet): boolean {
    for (let i = 0; i < 4; i++) if ((this.bits[i]! & o.bits[i]!) !== 0) return true;
    return (this.space !== Part.None && o.space !== Part.None) || (this.rest !== Part.None && o.rest !== Part.None);
  }

  negate(): CharSet {
    for (let i = 0; i < 4; i++) this.bits[i] = ~this.bits[i]! >>> 0;
    this.space = Part.All - this.space;
    this.rest = Part.All - this.rest;
    return this;
  }

  /** Both cases of ASCII letters, as the `i` flag matches them. */
  foldCase(): CharSet {
    for (let c = 65; c <= 90; c++) {
      if (this.has(c) || this.has(c + 32)) {
        this.add(c);
        this.add(c + 32);
      }
    }
    return this;
  }

  /**
   * The word characters of the set, lower case, if it holds at most `limit` of them and nothing else that a word
   * can hold; `[]` if it holds no word character; undefined if it mixes them with others or holds too many.
   */
  wordChars(limit: number): string[] | undefined {
    const out: string[] = [];
    let other = false;
    for (let c = 0; c < 128; c++) {
      if (!this.has(c)) continue;
      const word = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
      if (!word) other = true;
      else if (!(c >= 65 && c <= 90)) out.push(String.fromCharCode(c));
      else if (!this.has(c + 32)) out.push(String.fromCharCode(c + 32));
    }
    if (out.length === 0) return [];
    return other || out.length > limit ? undefined : out;
  }

  /** The one character this set stands for, if it is a single character up to case. */
  single(): string | undefined {
    let found = -1;
    for (let c = 0; c < 128; c++) {
      if (!this.has(c)) continue;
      const lower = c >= 65 && c <= 90 ? c + 32 : c;
      if (found === -1) found = lower;
      else if (found !== lower) return undefined;
    }
    return found === -1 || this.space !== Part.None || this.rest !== Part.None ? undefined : String.fromCharCode(found);
  }
}

type Node =
  | { type: 'char'; set: CharSet; start: number; end: number }
  | { type: 'seq'; items: Node[]; start: number; end: number }
  | { type: 'alt'; alts: Node[]; start: number; end: number }
  | { type: 'group'; body: Node; start: number; end: number }
  | { type: 'look'; body: Node; behind: boolean; start: number; end: number }
  | { type: 'assert'; kind: '^' | '$' | 'b' | 'B'; start: number; end: number }
  | { type: 'backref'; start: number; end: number }
  | { type: 'quant'; body: Node; min: number; max: number; start: number; end: number };

const DIGIT = build((s) => s.addRange(48, 57));
const WORD = build((s) => (s.addRange(48, 57), s.addRange(65, 90), s.addRange(97, 122), s.add(95)));
const SPACE = build((s) => {
  for (const c of [9, 10, 11, 12, 13, 32]) s.add(c);
  s.space = Part.All;
});
const DOT = build((s) => {
  for (let c = 0; c < 128; c++) if (c !== 10 && c !== 13) s.add(c);
  s.space = Part.All;
  s.rest = Part.All;
});

function build(init: (s: CharSet) => void): CharSet {
  const s = new CharSet();
  init(s);
  return s;
}

function copy(s: CharSet): CharSet {
  return new CharSet().union(s);
}

class Parser {
  private pos = 0;
  private readonly groupCount: number;
  private readonly hasNamedGroups: boolean;

  constructor(private readonly src: string) {
    let count = 0;
    let named = false;
    for (let i = 0, inClass = false; i < src.length; i++) {
      const c = src[i];
      if (c === '\\') i++;
      else if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '(' && !inClass) {
        if (src[i + 1] !== '?') count++;
        else if (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') {
          count++;
          named = true;
        }
      }
    }
    this.groupCount = count;
    this.hasNamedGroups = named;
  }

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.src.length) throw new SyntaxError(`unexpected "${this.src[this.pos]}" at ${this.pos}`);
    return node;
  }

  private alternation(): Node {
    const start = this.pos;
    const alts = [this.sequence()];
    while (this.src[this.pos] === '|') {
      this.pos++;
      alts.push(this.sequence());
    }
    return alts.length === 1 ? alts[0]! : { type: 'alt', alts, start, end: this.pos };
  }

  private sequence(): Node {
    const start = this.pos;
    const items: Node[] = [];
    while (this.pos < this.src.length && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return { type: 'seq', items, start, end: this.pos };
  }

  private quantified(atom: Node): Node {
    const c = this.src[this.pos];
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      min = c === '+' ? 1 : 0;
      max = c === '?' ? 1 : Infinity;
      this.pos++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos, this.pos + 24));
      if (!m) return atom;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.pos += m[0].length;
    } else return atom;
    if (this.src[this.pos] === '?') this.pos++;
    return { type: 'quant', body: atom, min, max, start: atom.start, end: this.pos };
  }

  private atom(): Node {
    const start = this.pos;
    const c = this.src[this.pos++]!;
    if (c === '(') {
      let kind: 'group' | 'ahead' | 'behind' = 'group';
      if (this.src.startsWith('?:', this.pos)) this.pos += 2;
      else if (this.src.startsWith('?=', this.pos) || this.src.startsWith('?!', this.pos)) {
        kind = 'ahead';
        this.pos += 2;
      } else if (this.src.startsWith('?<=', this.pos) || this.src.startsWith('?<!', this.pos)) {
        kind = 'behind';
        this.pos += 3;
      }
      else if (this.src.startsWith('?<', this.pos)) {
        this.pos = this.src.indexOf('>', this.pos) + 1;
      }
      const body = this.alternation();
      if (this.src[this.pos] !== ')') throw new SyntaxError(`unterminated group at ${start}`);
      this.pos++;
      return kind === 'group' ? { type: 'group', body, start, end: this.pos } : { type: 'look', body, behind: kind === 'behind', start, end: this.pos };
    }
    if (c === '[') return this.charClass(start);
    if (c === '.') return { type: 'char', set: DOT, start, end: this.pos };
    if (c === '^' || c === '$') return { type: 'assert', kind: c, start, end: this.pos };
    if (c === '\\') return this.escape(start);
    return { type: 'char', set: literal(c.charCodeAt(0)), start, end: this.pos };
  }

  private escape(start: number): Node {
    const c = this.src[this.pos++]!;
    if (c === 'b' || c === 'B') return { type: 'assert', kind: c, start, end: this.pos };
    if (c >= '1' && c <= '9') {
      const digits = /^\d*/.exec(this.src.slice(this.pos))![0];
      if (Number(c + digits) <= this.groupCount) {
        this.pos += digits.length;
        return { type: 'backref', start, end: this.pos };
      }
    }
    if (c === 'k' && this.hasNamedGroups && this.src[this.pos] === '<') {
      this.pos = this.src.indexOf('>', this.pos) + 1;
      return { type: 'backref', start, end: this.pos };
    }
    this.pos--;
    return { type: 'char', set: this.escapeAtom(false).set, start, end: this.pos };
  }

  /** The escape after a backslash (at `pos`), consumed: its characters, and its code point if it is one character. */
  private escapeAtom(inClass: boolean): { set: CharSet; code?: number } {
    const c = this.src[this.pos++]!;
    const one = (code: number) => ({ set: literal(code), code });
    switch (c) {
      case 'd':
        return { set: copy(DIGIT) };
      case 'D':
        return { set: copy(DIGIT).negate() };
      case 'w':
        return { set: copy(WORD) };
      case 'W':
        return { set: copy(WORD).negate() };
      case 's':
        return { set: copy(SPACE) };
      case 'S':
        return { set: copy(SPACE).negate() };
      case 'n':
        return one(10);
      case 'r':
        return one(13);
      case 't':
        return one(9);
      case 'f':
        return one(12);
      case 'v':
        return one(11);
      case 'b':
        return one(inClass ? 8 : 98);
      case 'c': {
        const next = this.src.charCodeAt(this.pos);
        if ((next >= 65 && next <= 90) || (next >= 97 && next <= 122)) {
          this.pos++;
          return one(next % 32);
        }
        // Annex B: "\c" not followed by a letter is a literal backslash followed by "c"
        this.pos--;
        return one(92);
      }
      case 'x':
      case 'u': {
        const hex = this.src.slice(this.pos, this.pos + (c === 'x' ? 2 : 4));
        if ((c === 'x' ? /^[0-9a-fA-F]{2}$/ : /^[0-9a-fA-F]{4}$/).test(hex)) {
          this.pos += hex.length;
          return one(parseInt(hex, 16));
        }
        return one(c.charCodeAt(0));
      }
      default: {
        if (c >= '0' && c <= '7') {
          // Annex B legacy octal escape
          const oct = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))![0];
          this.pos += oct.length;
          return one(parseInt(c + oct, 8) & 0xff);
        }
        return one(c.charCodeAt(0));
      }
    }
  }

  private charClass(start: number): Node {
    const negated = this.src[this.pos] === '^';
    if (negated) this.pos++;
    const set = new CharSet();
    while (this.pos < this.src.length && this.src[this.pos] !== ']') {
      const lo = this.classAtom();
      if (this.src[this.pos] === '-' && this.pos + 1 < this.src.length && this.src[this.pos + 1] !== ']') {
        const save = this.pos;
        this.pos++;
        const hi = this.classAtom();
        if (lo.code !== undefined && hi.code !== undefined) {
          set.addRange(lo.code, hi.code);
          continue;
        }
        // Annex B: a class escape such as \d next to "-" makes the "-" literal
        this.pos = save;
      }
      set.union(lo.set);
    }
    if (this.src[this.pos] !== ']') throw new SyntaxError(`unterminated character class at ${start}`);
    this.pos++;
    set.foldCase();
    return { type: 'char', set: negated ? set.negate() : set, start, end: this.pos };
  }

  private classAtom(): { set: CharSet; code?: number } {
    const code = this.src.charCodeAt(this.pos++);
    return code === 92 ? this.escapeAtom(true) : { set: literal(code), code };
  }
}

function literal(code: number): CharSet {
  const s = new CharSet();
  s.add(code);
  return s.foldCase();
}

const EMPTY = new CharSet();

function nullable(n: Node): boolean {
  switch (n.type) {
    case 'char':
      return false;
    case 'seq':
      return n.items.every(nullable);
    case 'alt':
      return n.alts.some(nullable);
    case 'group':
      return nullable(n.body);
    case 'quant':
      return n.min === 0 || nullable(n.body);
    default:
      return true;
  }
}

/** Characters that can begin (`first`), end (`last`) or appear anywhere in (`chars`) a non-empty match. */
function edge(n: Node, which: 'first' | 'last' | 'chars'): CharSet {
  switch (n.type) {
    case 'char':
      return n.set;
    case 'group':
      return edge(n.body, which);
    case 'quant':
      return n.max === 0 ? EMPTY : edge(n.body, which);
    case 'alt':
      return n.alts.reduce((acc, a) => acc.union(edge(a, which)), new CharSet());
    case 'seq': {
      const acc = new CharSet();
      const items = which === 'last' ? [...n.items].reverse() : n.items;
      for (const item of items) {
        acc.union(edge(item, which));
        if (which !== 'chars' && !nullable(item)) break;
      }
      return acc;
    }
    default:
      return EMPTY;
  }
}

function children(n: Node): Node[] {
  switch (n.type) {
    case 'seq':
      return n.items;
    case 'alt':
      return n.alts;
    case 'group':
    case 'look':
    case 'quant':
      return [n.body];
    default:
      return [];
  }
}

/** The literal text an alternative matches (lower case), if it is a plain string. */
function literalText(n: Node): string | undefined {
  if (n.type === 'char') return n.set.single();
  if (n.type === 'group') return literalText(n.body);
  if (n.type !== 'seq') return undefined;
  let out = '';
  for (const item of n.items) {
    const ch = literalText(item);
    if (ch === undefined) return undefined;
    out += ch;
  }
  return out;
}

class Checker {
  constructor(private readonly src: string) {}

  private text(n: Node): string {
    return JSON.stringify(this.src.slice(n.start, n.end));
  }

  check(root: Node): PatternProblem | undefined {
    // a pattern anchored at the start of the text has one start, so no gap can be scanned twice
    return this.walk(root) ?? this.leading(root) ?? (startsWith(root, '^') ? undefined : this.gap(root, root, [], true));
  }

  /**
   * Check 5: an unbounded repetition after the start of the match, followed by something that can fail, whose
   * characters can hold the start of another match.
   */
  private gap(root: Node, n: Node, rest: readonly Node[], atStart: boolean): PatternProblem | undefined {
    switch (n.type) {
      case 'quant': {
        if (n.max >= UNBOUNDED && !atStart && rest.some(canFail)) {
          const chars = edge(n.body, 'chars');
          const words = chars.wordChars(Infinity);
          const withinWord = words !== undefined && words.length > 0 && startsWith(root, 'b');
          if (!withinWord && chars.overlaps(edge(root, 'first'))) {
            return {
              kind: 'unbounded-gap',
              message: `unbounded gap: ${this.text(n)} can run over the start of another match, so a long line that repeats the pattern's start is scanned once per start (quadratic); bound it, e.g. ".{0,80}"`,
            };
          }
        }
        return this.gap(root, n.body, rest, atStart);
      }
      case 'group':
        return this.gap(root, n.body, rest, atStart);
      case 'alt':
        for (const a of n.alts) {
          const problem = this.gap(root, a, rest, atStart);
          if (problem) return problem;
        }
        return undefined;
      case 'seq': {
        let start = atStart;
        for (let i = 0; i < n.items.length; i++) {
          const item = n.items[i]!;
          const problem = this.gap(root, item, [...n.items.slice(i + 1), ...rest], start);
          if (problem) return problem;
          if (item.type !== 'assert' && item.type !== 'look') start = false;
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private walk(n: Node): PatternProblem | undefined {
    if (n.type === 'quant' && n.max >= 2) {
      const problem = this.nested(n, n.body, true, true) ?? this.alternation(n, n.body);
      if (problem) return problem;
    }
    if (n.type === 'seq') {
      const problem = this.adjacent(n);
      if (problem) return problem;
    }
    for (const child of children(n)) {
      const problem = this.walk(child);
      if (problem) return problem;
    }
    return undefined;
  }

  /** Check 1: a repetition inside `outer` that can trade characters with the neighbouring iterations. */
  private nested(outer: Extract<Node, { type: 'quant' }>, n: Node, atStart: boolean, atEnd: boolean): PatternProblem | undefined {
    if (n.type === 'quant' && n.max > n.min) {
      const chars = edge(n.body, 'chars');
      if ((atEnd && chars.overlaps(edge(outer.body, 'first'))) || (atStart && chars.overlaps(edge(outer.body, 'last')))) {
        return {
          kind: 'nested-quantifier',
          message: `nested quantifier: ${this.text(n)} inside the repeated ${this.text(outer)} can match the same characters as the neighbouring repetitions, so a failing match backtracks exponentially`,
        };
      }
      return undefined;
    }
    if (n.type === 'seq') {
      for (let i = 0; i < n.items.length; i++) {
        const before = atStart && n.items.slice(0, i).every(nullable);
        const after = atEnd && n.items.slice(i + 1).every(nullable);
        const problem = this.nested(outer, n.items[i]!, before, after);
        if (problem) return problem;
      }
      return undefined;
    }
    if (n.type === 'look') return undefined;
    for (const child of children(n)) {
      const problem = this.nested(outer, child, atStart, atEnd);
      if (problem) return problem;
    }
    return undefined;
  }

  /** Check 2: alternatives under `outer` that can match the same text. */
  private alternation(outer: Extract<Node, { type: 'quant' }>, n: Node): PatternProblem | undefined {
    if (n.type === 'quant' && n.max >= 2) return undefined; // checked when the walk reaches it
    if (n.type === 'alt') {
      for (let i = 0; i < n.alts.length; i++) {
        for (let j = i + 1; j < n.alts.length; j++) {
          const a = n.alts[i]!;
          const b = n.alts[j]!;
          const la = literalText(a);
          const lb = literalText(b);
          const overlap = la !== undefined && lb !== undefined ? la.startsWith(lb) || lb.startsWith(la) : edge(a, 'first').overlaps(edge(b, 'first'));
          if (overlap) {
            return {
              kind: 'overlapping-alternation',
              message: `overlapping alternatives: ${this.text(a)} and ${this.text(b)} under the quantifier of ${this.text(outer)} can match the same text, so a failing match backtracks exponentially`,
            };
          }
        }
      }
    }
    if (n.type === 'look') return undefined;
    for (const child of children(n)) {
      const problem = this.alternation(outer, child);
      if (problem) return problem;
    }
    return undefined;
  }

  /** Check 3: two unbounded repetitions over overlapping characters with only optional items between them. */
  private adjacent(seq: Extract<Node, { type: 'seq' }>): PatternProblem | undefined {
    for (let i = 0; i < seq.items.length; i++) {
      const left = unboundedAt(seq.items[i]!, 'last');
      if (!left) continue;
      for (let j = i + 1; j < seq.items.length; j++) {
        const right = unboundedAt(seq.items[j]!, 'first');
        // the boundary between them can move only over a character that can end the one and start the other
        if (right && edge(left.body, 'last').overlaps(edge(right.body, 'first'))) {
          return {
            kind: 'adjacent-quantifiers',
            message: `adjacent quantifiers: ${this.text(left)} and ${this.text(right)} can match the same characters, so a failing match backtracks polynomially (quadratic or worse)`,
          };
        }
        if (!nullable(seq.items[j]!)) break;
      }
    }
    return undefined;
  }

  /** Check 4: an unbounded repetition where the match can start, with no anchor before it and something after it that can fail. */
  private leading(n: Node): PatternProblem | undefined {
    const found = leadingRisk(n, []);
    return found
      ? {
          kind: 'leading-repetition',
          message: `leading repetition: a match can start with ${this.text(found)}, which has no anchor before it and can be followed by a failure, so scanning a long run of such characters is quadratic; start the pattern with \\b, ^ or a literal`,
        }
      : undefined;
  }
}

/** Whether every match of `n` starts with the assertion `kind` (\b or ^). */
function startsWith(n: Node, kind: 'b' | '^'): boolean {
  switch (n.type) {
    case 'assert':
      return n.kind === kind;
    case 'group':
      return startsWith(n.body, kind);
    case 'alt':
      return n.alts.every((a) => startsWith(a, kind));
    case 'seq': {
      // lookaheads consume nothing: what counts is the first assertion or character after them
      const first = n.items.find((item) => item.type !== 'look' || item.behind);
      return first !== undefined && startsWith(first, kind);
    }
    default:
      return false;
  }
}

/** Whether matching `n` can fail (a zero-width assertion can). */
function canFail(n: Node): boolean {
  switch (n.type) {
    case 'seq':
      return n.items.some(canFail);
    case 'alt':
      return n.alts.every(canFail);
    case 'group':
      return canFail(n.body);
    case 'quant':
      return n.min > 0 && canFail(n.body);
    default:
      return true;
  }
}

/**
 * The innermost unbounded repetition a match can start with (no anchor, lookbehind or consuming item before it)
 * when something after it (`rest`, then the items that follow) can still fail: each start position inside a long
 * run of its characters then costs time proportional to the run.
 */
function leadingRisk(n: Node, rest: readonly Node[]): Node | undefined {
  switch (n.type) {
    case 'quant': {
      if (n.max === 0) return undefined;
      const inner = leadingRisk(n.body, rest);
      if (inner || n.max < UNBOUNDED) return inner;
      return rest.some(canFail) ? n : undefined;
    }
    case 'group':
      return leadingRisk(n.body, rest);
    case 'alt':
      for (const a of n.alts) {
        const found = leadingRisk(a, rest);
        if (found) return found;
      }
      return undefined;
    case 'seq':
      for (let i = 0; i < n.items.length; i++) {
        const item = n.items[i]!;
        if (item.type === 'assert' && item.kind !== 'B') return undefined;
        if (item.type === 'look' && item.behind) return undefined;
        const found = leadingRisk(item, [...n.items.slice(i + 1), ...rest]);
        if (found) return found;
        if (!nullable(item)) return undefined;
      }
      return undefined;
    default:
      return undefined;
  }
}

function unboundedAt(n: Node, side: 'first' | 'last'): Extract<Node, { type: 'quant' }> | undefined {
  if (n.type === 'quant') return n.max >= UNBOUNDED ? n : undefined;
  if (n.type === 'group') return unboundedAt(n.body, side);
  if (n.type === 'seq' && n.items.length > 0) return unboundedAt(n.items[side === 'first' ? 0 : n.items.length - 1]!, side);
  return undefined;
}

/** Checks `source` (compiled with the `i` flag). Returns the problem, or the pattern and where its matches start. */
export function analyzePattern(source: string): PatternProblem | AnalyzedPattern {
  try {
    new RegExp(source, 'i');
  } catch (error) {
    return { kind: 'syntax', message: (error as Error).message };
  }
  let root: Node;
  const parser = new Parser(source);
  try {
    root = parser.parse();
  } catch (error) {
    return { kind: 'syntax', message: `could not analyse the pattern: ${(error as Error).message}` };
  }
  const backref = findBackref(root);
  if (backref) return { kind: 'backreference', message: `backreferences are not supported (${JSON.stringify(source.slice(backref.start, backref.end))})` };
  const problem = new Checker(source).check(root);
  if (problem) return problem;
  return { source, prefixes: wordPrefixes(root) };
}

/** Word prefixes (see {@link WordPrefixes}) of the matches of `root`, or undefined if the pattern can start elsewhere. */
function wordPrefixes(root: Node): WordPrefixes | undefined {
  const exact = new Set<string>();
  const open = new Set<string>();
  let budget = 4000;
  let ok = true;
  const emit = (prefix: string, ends: boolean): void => {
    if (prefix.length === 0) ok = false;
    else (ends || prefix.length === 4 ? exact : open).add(prefix);
  };
  // `anchored`: a \b has been passed, so the first letter begins a word
  const expand = (nodes: readonly Node[], prefix: string, anchored: boolean): void => {
    if (!ok || --budget < 0) {
      ok = false;
      return;
    }
    if (nodes.length === 0) return emit(prefix, false);
    const n = nodes[0]!;
    const rest = nodes.slice(1);
    switch (n.type) {
      case 'seq':
        return expand([...n.items, ...rest], prefix, anchored);
      case 'group':
        return expand([n.body, ...rest], prefix, anchored);
      case 'alt':
        for (const a of n.alts) expand([a, ...rest], prefix, anchored);
        return;
      case 'quant': {
        if (n.max === 0) return expand(rest, prefix, anchored);
        if (n.min === 0) expand(rest, prefix, anchored);
        if (n.max === 1) return expand([n.body, ...rest], prefix, anchored);
        // a repetition of non-word characters (\s+) ends the word; anything else leaves its end open
        const body = edge(n.body, 'first').wordChars(0);
        if (prefix.length > 0 && body !== undefined && body.length === 0 && !nullable(n.body)) return emit(prefix, true);
        // one repetition fixes the first letters; what follows may be another one, so the word's end stays open
        return n.min >= 1 ? expand([n.body], prefix, anchored) : emit(prefix, false);
      }
      case 'assert':
        if (n.kind === 'b') return prefix.length === 0 ? expand(rest, prefix, true) : emit(prefix, true);
        return emit(prefix, false);
      case 'char': {
        const chars = n.set.wordChars(8);
        if (chars !== undefined && chars.length === 0) return emit(prefix, true);
        if (!anchored || chars === undefined) return emit(prefix, false);
        for (const c of chars) {
          if (prefix.length + 1 === 4) emit(prefix + c, false);
          else expand(rest, prefix + c, anchored);
        }
        return;
      }
      default:
        return emit(prefix, false);
    }
  };
  expand([root], '', false);
  return ok ? { exact: [...exact].sort(), open: [...open].sort() } : undefined;
}

function findBackref(n: Node): Node | undefined {
  if (n.type === 'backref') return n;
  for (const child of children(n)) {
    const found = findBackref(child);
    if (found) return found;
  }
  return undefined;
}

export function isPatternProblem(result: PatternProblem | AnalyzedPattern): result is PatternProblem {
  return 'kind' in result;
}
