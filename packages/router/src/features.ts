/**
 * The measurements the classifier's signals read. Length (`chars`, `words`, `lines`) covers the whole text;
 * everything else covers the scan window (all of a text up to `scanChars`, otherwise its head and tail).
 *
 * Lines inside fenced code blocks, lines that look like code and stack-trace frames are split off from the prose:
 * the rules and the "named things" counts (`files`, `components`, `errorTypes`, `systems`) read only the prose,
 * so a pasted file full of `import` and `class` says nothing about the task.
 */
export const FEATURE_NAMES = [
  'chars',
  'words',
  'lines',
  'scannedChars',
  'codeBlocks',
  'codeLines',
  'stackTraces',
  'stackFrames',
  'errorTypes',
  'files',
  'components',
  'systems',
  'listItems',
  'questions',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export type Features = Record<FeatureName, number>;

/** The features as an array in FEATURE_NAMES order (property by property, which the JIT reads fastest). */
export function featureValues(f: Features): number[] {
  return [f.chars, f.words, f.lines, f.scannedChars, f.codeBlocks, f.codeLines, f.stackTraces, f.stackFrames, f.errorTypes, f.files, f.components, f.systems, f.listItems, f.questions];
}

export interface Measurement {
  features: Features;
  /** The prose of the scan window, lines joined by "\n": what the rules scan. */
  prose: string;
  /**
   * The words of the prose (runs of ASCII letters, digits and "_") as triples: start, length, and the word's key,
   * its first min(length, 4) characters lower-cased as by {@link wordKey}, in the first `wordSlots` entries of a
   * buffer that the next call of measure() overwrites: read it before measuring again.
   */
  words: Int32Array;
  wordSlots: number;
}

const FENCE = /[ \t]*(?:```|~~~)/y;
const TRACE_HEADER = /[ \t]*(?:Traceback \(most recent call last\)|Exception in thread |Caused by: |panic: |Stack trace:|Call stack:|Backtrace:)/y;
// Python, IPython, JavaScript, Java, C#, Ruby, gdb and pytest frames
const FRAME =
  /[ \t]*(?:File "[^"\n]*", line \d+|File [^\n,]+:\d+, in |-+> \d+ |at [\w$.<>[\]]+ ?\(?[^()\n]*:\d+(?::\d+)?\)?[ \t]*$|at [^ \n]+:\d+:\d+[ \t]*$|at [\w$.<>[\]`]+\(.*\) in .*:line \d+|from [^\s:]+:\d+:in |#\d+ +0x[0-9a-f]+|[\w./\\-]+\.(?:py|rb|php|go|rs|java|kt|c|cc|cpp|h):\d+(?::\d+)?:? in )/my;
// REPL prompts, shell prompts, diff headers and statement keywords
const CODE_START =
  /[ \t]*(?:>>>|\.\.\.(?=[ \t]|$)|In \[\d+\]:|Out\[\d+\]:|\$ |[+-]{3} |@@ |(?:def|class|import|from [\w.]+ import|return|raise|assert|elif|except|const|let|var|function|public|private|protected|package|#include|#define|SELECT|INSERT INTO|UPDATE|CREATE TABLE)\b)/my;
const LIST_ITEM = /[ \t]*(?:[-*+]|\d{1,2}[.)])[ \t]+\S/y;
// "- OS: macOS", "- Python version: 3.8": facts about the reporter's setup, not items of work
const KEY_VALUE_ITEM = /[ \t]*(?:[-*+]|\d{1,2}[.)])[ \t]+(?:\*\*)?[\w .()/-]{1,30}?(?:\*\*)?:(?:[ \t]|$)/my;

/** File extensions that make a token like `widgets.py` or `src/app.tsx` a file name. */
const FILE_EXTENSIONS = new Set(
  'py pyi ipynb js mjs cjs jsx ts tsx java kt go rs rb php cs cpp cc c h hpp swift scala sql json yaml yml toml ini cfg conf xml html htm css scss md rst txt sh gradle proto vue svelte lock env'.split(' '),
);

/**
 * Words naming a system or service a task can span, each mapped to the system's bit ("databases", "db" -> the bit
 * of database): the distinct systems of a prompt are a bit set.
 */
const SYSTEMS = new Map<string, number>();
for (const [bit, words] of Object.values({
  database: 'database databases db sql postgres postgresql mysql sqlite mongo mongodb dynamodb cassandra',
  cache: 'cache caches caching redis memcached',
  queue: 'queue queues kafka rabbitmq sqs broker brokers',
  api: 'api apis rest graphql grpc endpoint endpoints openapi',
  frontend: 'frontend front-end ui browser browsers',
  backend: 'backend back-end server servers',
  service: 'service services microservice microservices',
  auth: 'auth authentication authorization oauth sso login',
  payments: 'payment payments billing stripe paypal',
  search: 'search elasticsearch opensearch',
  storage: 's3 storage blob',
  cdn: 'cdn',
  scheduler: 'scheduler schedulers cron worker workers',
  webhooks: 'webhook webhooks',
  websockets: 'websocket websockets',
  mobile: 'mobile ios android',
  cli: 'cli',
  observability: 'logging monitoring metrics tracing analytics dashboard dashboards',
  pipeline: 'pipeline pipelines ci',
  containers: 'docker kubernetes k8s cluster clusters',
  gateway: 'gateway gateways proxy proxies dns',
  email: 'email e-mail notification notifications',
}).entries()) {
  for (const word of words.split(' ')) SYSTEMS.set(word, 1 << bit);
}
/** The words of SYSTEMS by their shape (see shape()), to look a token up without making a string of it. */
const SYSTEMS_BY_SHAPE = new Map<number, Array<{ word: string; bit: number }>>();
/** Bit set of those shapes (4 KB, so it stays in cache): most tokens fail this test and skip the lookup. */
const SYSTEM_SHAPES = new Uint8Array(1 << 12);
for (const [word, bit] of SYSTEMS) {
  const s = shape(word.charCodeAt(0), word.charCodeAt(1), word.length);
  SYSTEM_SHAPES[s >>> 3]! |= 1 << (s & 7);
  const list = SYSTEMS_BY_SHAPE.get(s);
  if (list === undefined) SYSTEMS_BY_SHAPE.set(s, [{ word, bit }]);
  else list.push({ word, bit });
}

/** Five bits of each of the first two characters (the same for both cases of a letter) and of the length. */
function shape(c0: number, c1: number, length: number): number {
  return ((c0 & 31) << 10) | ((c1 & 31) << 5) | (length & 31);
}

/** The bit of the system that the token from `start` to `end` names, in any case, or 0. */
function systemBit(text: string, start: number, end: number): number {
  const length = end - start;
  // every word in SYSTEMS has 2 to 31 characters
  if (length < 2 || length > 31) return 0;
  const s = shape(text.charCodeAt(start), text.charCodeAt(start + 1), length);
  if ((SYSTEM_SHAPES[s >>> 3]! & (1 << (s & 7))) === 0) return 0;
  for (const { word, bit } of SYSTEMS_BY_SHAPE.get(s)!) if (word.length === length && equalsIgnoringCase(text, start, word)) return bit;
  return 0;
}

/** Whether `text` from `start` holds `word` (lower case), in any case of ASCII letters. */
function equalsIgnoringCase(text: string, start: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) {
    const c = text.charCodeAt(start + k);
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== word.charCodeAt(k)) return false;
  }
  return true;
}

function bitCount(bits: number): number {
  let count = 0;
  for (let b = bits; b !== 0; b &= b - 1) count++;
  return count;
}

/** The end of an error type's name (`ValueError`). */
const ERROR_TYPE = /(?:Error|Exception|Warning|Fault)$/;

/** Dotted abbreviations and words before a parenthesis that are not code. */
const NOT_COMPONENTS = new Set(['e.g', 'i.e', 'etc', 'vs', 'a.k.a', 'cf', 'and', 'or', 'if', 'for', 'while', 'see', 'also', 'note', 'is', 'in', 'of', 'the', 'a', 'to', 'with', 'as', 'on', 'at', 'by', 'be', 'it', 'this', 'that']);

// Character classes of ASCII, as bits, for the loops below.
const LOWER = 1;
const UPPER = 2;
const DIGIT = 4;
const UNDERSCORE = 8;
const WORD_CHAR = LOWER | UPPER | DIGIT | UNDERSCORE;
/** ".", "-", "/": they join two runs of word characters into one token */
const JOINER = 16;
/** code punctuation: ( ) { } [ ] = ; < > _ | \ */
const SYMBOL = 32;
/** what \s matches in ASCII */
const SPACE = 64;
const CLASS = new Uint8Array(128);
for (let c = 97; c <= 122; c++) CLASS[c] = LOWER;
for (let c = 65; c <= 90; c++) CLASS[c] = UPPER;
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT;
CLASS[95] = UNDERSCORE | SYMBOL;
for (const c of '.-/') CLASS[c.charCodeAt(0)] = JOINER;
for (const c of '(){}[]=;<>|\\') CLASS[c.charCodeAt(0)] = SYMBOL;
for (const c of [9, 10, 11, 12, 13, 32]) CLASS[c] = SPACE;

function classOf(c: number): number {
  return c < 128 ? CLASS[c]! : 0;
}

function isWordChar(c: number): boolean {
  return (classOf(c) & WORD_CHAR) !== 0;
}

/** Longest line judged by its density of code punctuation; longer ones are code only if they start like code. */
const MAX_CODE_LINE = 200;

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Where `what` next occurs from `from`, or Infinity. */
function nextIndex(text: string, what: string, from: number): number {
  const i = text.indexOf(what, from);
  return i === -1 ? Infinity : i;
}

// Trace headers start with one of these letters.
const TRACE_HEADER_FIRST = new Uint8Array(128);
for (const c of 'TECpSCB') TRACE_HEADER_FIRST[c.charCodeAt(0)] = 1;

function isTraceHeader(text: string, start: number, fc: number): boolean {
  if (fc >= 128 || TRACE_HEADER_FIRST[fc] !== 1) return false;
  TRACE_HEADER.lastIndex = start;
  return TRACE_HEADER.test(text);
}

/** A frame line: the frame formats hold a ":" except Python's `File "x.py", line 3`, IPython's "---> 12" and gdb's "#0 0x..." */
function isFrame(text: string, start: number, end: number, fc: number, hasColon: boolean): boolean {
  if (!hasColon && fc !== 70 && fc !== 45 && fc !== 35) return false;
  FRAME.lastIndex = start;
  return FRAME.test(text) && FRAME.lastIndex <= end;
}

function firstNonBlank(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return i;
}

/**
 * Whether a line (from `start` to `end`, exclusive) reads as code rather than prose. `mayBeDense`: whether the
 * text has the 3 characters of code punctuation that a line dense in them needs.
 */
function looksLikeCode(text: string, start: number, end: number, mayBeDense: boolean): boolean {
  // an empty line is prose; it may end the text, and reading past the end makes V8 drop its optimized code
  if (start === end) return false;
  const first = text.charCodeAt(start);
  // indented by a tab or four spaces (Markdown code, pasted source); a list item indented so is still prose
  if (first === 9 || (first === 32 && text.startsWith('    ', start))) {
    LIST_ITEM.lastIndex = start;
    return !LIST_ITEM.test(text);
  }
  CODE_START.lastIndex = start;
  if (CODE_START.test(text)) return true;
  // dense in code punctuation and short of prose; a long line that starts like neither is a paragraph
  if (!mayBeDense || end - start > MAX_CODE_LINE) return false;
  let symbols = 0;
  let letters = 0;
  for (let i = start; i < end; i++) {
    const k = classOf(text.charCodeAt(i));
    if ((k & SYMBOL) !== 0) symbols++;
    else if ((k & (LOWER | UPPER)) !== 0) letters++;
  }
  return symbols >= 3 && symbols * 6 >= letters;
}

/** The text the rules and named-thing counts see: all of it up to `scanChars`, else its first 3/4 and last 1/4. */
export function scanWindow(text: string, scanChars: number): string {
  if (text.length <= scanChars) return text;
  const head = Math.floor(scanChars * 0.75);
  return `${text.slice(0, head)}\n${text.slice(text.length - (scanChars - head))}`;
}

/**
 * The words and lines of the whole text, and its characters of code punctuation: with fewer than 3, no line is
 * dense in them (see looksLikeCode).
 */
function countLength(text: string): { words: number; lines: number; symbols: number } {
  let words = 0;
  let lines = text.length > 0 ? 1 : 0;
  let symbols = 0;
  let inWord = false;
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    const k = c < 128 ? CLASS[c]! : 0;
    if ((k & SPACE) !== 0 || (c >= 128 && isSpace(c))) {
      if (c === 10) lines++;
      inWord = false;
      continue;
    }
    if (!inWord) {
      inWord = true;
      words++;
    }
    if ((k & SYMBOL) !== 0) symbols++;
  }
  return { words, lines, symbols };
}

export function measure(text: string, scanChars: number): Measurement {
  // countLength() is a function of its own: when its loop gets hot, V8 compiles the function around the loop on
  // the spot (on-stack replacement) from what it has seen so far. Were that measure(), the branches that short
  // prompts never reach (code, traces, lists) would send longer prompts back out of the compiled code, call after call.
  const { words, lines, symbols } = countLength(text);
  const window = scanWindow(text, scanChars);
  const prose: string[] = [];
  let codeBlocks = 0;
  let codeLines = 0;
  let stackTraces = 0;
  let stackFrames = 0;
  let listItems = 0;
  let questions = 0;
  let inFence = false;
  let inComment = false;
  let traceOpen = false;
  // the next "?", "-->" and ":" at or after the current line, found once rather than once per line
  let question = -1;
  let commentClose = -1;
  let colon = -1;
  for (let start = 0; start <= window.length; ) {
    let end = window.indexOf('\n', start);
    if (end === -1) end = window.length;
    const lead = firstNonBlank(window, start, end);
    const fc = lead < end ? window.charCodeAt(lead) : 10;
    // HTML comments hold issue-template instructions, not the request
    if (inComment || (fc === 60 && window.startsWith('<!--', lead))) {
      if (commentClose < start) commentClose = nextIndex(window, '-->', start);
      inComment = commentClose > end;
      if (!inComment && commentClose + 3 < end) prose.push(window.slice(commentClose + 3, end));
      start = end + 1;
      continue;
    }
    if (fc === 96 || fc === 126) {
      FENCE.lastIndex = start;
      if (FENCE.test(window)) {
        if (!inFence) codeBlocks++;
        inFence = !inFence;
        traceOpen = false;
        start = end + 1;
        continue;
      }
    }
    if (colon < start) colon = nextIndex(window, ':', start);
    if (isTraceHeader(window, start, fc)) {
      stackTraces++;
      traceOpen = true;
    } else if (isFrame(window, start, end, fc, colon < end)) {
      // frames with no header before them (JavaScript, pytest) start a trace of their own
      if (!traceOpen) stackTraces++;
      traceOpen = true;
      stackFrames++;
    } else if (inFence || looksLikeCode(window, start, end, symbols >= 3)) {
      codeLines++;
    } else {
      traceOpen = false;
      prose.push(window.slice(start, end));
      if (fc === 45 || fc === 42 || fc === 43 || (fc >= 48 && fc <= 57)) {
        LIST_ITEM.lastIndex = start;
        KEY_VALUE_ITEM.lastIndex = start;
        if (LIST_ITEM.test(window) && !KEY_VALUE_ITEM.test(window)) listItems++;
      }
      if (question < start) question = nextIndex(window, '?', start);
      while (question < end) {
        const next = question + 1 < end ? window.charCodeAt(question + 1) : 32;
        if (isSpace(next) || next === 41 || next === 34) questions++;
        question = nextIndex(window, '?', question + 1);
      }
    }
    start = end + 1;
  }

  const proseText = prose.length === 1 ? prose[0]! : prose.join('\n');
  const features: Features = {
    chars: text.length,
    words,
    lines,
    scannedChars: window.length,
    codeBlocks,
    codeLines,
    stackTraces,
    stackFrames,
    // counted by countNamed()
    errorTypes: 0,
    files: 0,
    components: 0,
    systems: 0,
    listItems,
    questions,
  };
  const wordSlots = countNamed(proseText, features);
  return { features, prose: proseText, words: wordBuffer, wordSlots };
}

/**
 * The key of a word from `chars`, its first min(length, 4) characters packed 7 bits each, times 4, plus the count
 * of characters less one: under 2^30, so a small integer for the engine. {@link wordKey} gives the same number.
 */
function finishKey(chars: number, length: number): number {
  return chars * 4 + (length < 4 ? length : 4) - 1;
}

/** The key of the first `count` (at most 4) characters of `s` from `at`, lower-cased: the same packing as the words'. */
export function wordKey(s: string, at: number, count: number): number {
  let chars = 0;
  for (let k = 0; k < count; k++) {
    const c = s.charCodeAt(at + k);
    chars = chars * 128 + (c >= 65 && c <= 90 ? c + 32 : c & 127);
  }
  return chars * 4 + count - 1;
}

/** The words of the last prose measured (see Measurement.words); grown as needed and reused, to spare the collector. */
let wordBuffer = new Int32Array(3 * 1024);

function pushWord(slot: number, start: number, length: number, key: number): number {
  if (slot + 3 > wordBuffer.length) {
    const grown = new Int32Array(wordBuffer.length * 2);
    grown.set(wordBuffer);
    wordBuffer = grown;
  }
  wordBuffer[slot] = start;
  wordBuffer[slot + 1] = length;
  wordBuffer[slot + 2] = key;
  return slot + 3;
}

/**
 * Distinct named things in the prose, in one pass over its tokens (runs of word characters joined by ".", "-" or
 * "/"): error types (`ValueError`), file names (`widgets.py`, `src/app.ts`), code components (dotted names,
 * CamelCase, camelCase or snake_case identifiers, `calls(`) and systems (database, cache, queue, API, ...), set in
 * `features`. Records each run of word characters in the word buffer (start, length, key) and returns the slots used.
 */
function countNamed(text: string, features: Features): number {
  let slot = 0;
  // most prompts name few things: the sets are made when the first one turns up
  let errors: Set<string> | undefined;
  let files: Set<string> | undefined;
  let components: Set<string> | undefined;
  let systems = 0;
  const n = text.length;
  for (let i = 0; i < n; ) {
    const first = text.charCodeAt(i);
    const firstClass = classOf(first);
    if ((firstClass & WORD_CHAR) === 0) {
      i++;
      continue;
    }
    let dots = 0;
    let joins = 0;
    let lastDot = -1;
    let camel = false;
    let underscore = firstClass === (UNDERSCORE | SYMBOL);
    let alnum = !underscore;
    let prev = firstClass;
    let run = i;
    let key = firstClass === UPPER ? first + 32 : first;
    let j = i + 1;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      const k = classOf(c);
      if ((k & WORD_CHAR) !== 0) {
        if (j - run < 4) key = key * 128 + (k === UPPER ? c + 32 : c);
        if (k === UPPER) {
          if (prev === LOWER) camel = true;
          alnum = true;
        } else if ((k & UNDERSCORE) !== 0) underscore = true;
        else alnum = true;
        prev = k;
        continue;
      }
      // ".", "-" and "/" between word characters join them into one token
      if (k === JOINER && (prev & WORD_CHAR) !== 0 && j + 1 < n && isWordChar(text.charCodeAt(j + 1))) {
        if (c === 46) {
          dots++;
          lastDot = j;
        } else joins++;
        slot = pushWord(slot, run, j - run, finishKey(key, j - run));
        run = j + 1;
        key = 0; // the loop adds the run's first character next
        prev = k;
        continue;
      }
      break;
    }
    const snake = underscore && alnum;
    const end = j;
    slot = pushWord(slot, run, end - run, finishKey(key, end - run));
    const startsWithLetter = first > 57;
    if (lastDot !== -1 && end - lastDot - 1 <= 5 && startsWithLetter && FILE_EXTENSIONS.has(text.slice(lastDot + 1, end).toLowerCase())) {
      (files ??= new Set()).add(text.slice(i, end));
    } else if (joins === 0 && startsWithLetter) {
      const system = dots === 0 && !snake ? systemBit(text, i, end) : 0;
      if (system !== 0) {
        // before the CamelCase test: PostgreSQL, GraphQL and MongoDB are systems
        systems |= system;
      } else if (first >= 65 && first <= 90 && dots === 0 && ERROR_TYPE.test(text.slice(Math.max(i, end - 9), end))) {
        (errors ??= new Set()).add(text.slice(i, end));
      } else if (dots > 0 || camel || snake || (end < n && text.charCodeAt(end) === 40)) {
        // a dotted name, CamelCase, camelCase or snake_case identifier, or a call
        const token = text.slice(i, end);
        if (!NOT_COMPONENTS.has(token.toLowerCase())) (components ??= new Set()).add(token);
      }
    } else if (joins === 1 && dots === 0) {
      // "front-end", "e-mail"
      systems |= systemBit(text, i, end);
    }
    i = end;
  }
  features.errorTypes = errors?.size ?? 0;
  features.files = files?.size ?? 0;
  features.components = components?.size ?? 0;
  features.systems = bitCount(systems);
  return slot;
}
