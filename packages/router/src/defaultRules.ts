import type { RuleInput, SignalInput, Tier } from './routerConfig.js';

/**
 * The built-in rules: what the task asks for, read from the prose of the prompt (code, traces and pasted files are
 * left out). Each family of words is one rule so that the evidence reads as a reason ("a scope word"), and a rule
 * counts once however often it matches (maxHits 1): repetition says more about the writer than about the task.
 *
 * Weights are on one scale, set by hand: 2-3 for a task phrase that settles the tier on its own in a one-line
 * request (3 for complex ones, which start from a lower bias), 1-1.5 for a hint that only tips a balance. Every
 * pattern starts with \b and a few letters, so the classifier runs it only at the words that start so.
 */
export const DEFAULT_RULES: Readonly<Record<Tier, readonly RuleInput[]>> = {
  simple: [
    {
      id: 'simple.cosmetic',
      pattern: String.raw`\b(?:typos?|misspell\w*|spelling|indent(?:ation|ed|ing|s)?|re-?indent\w*|whitespace|trailing\s+(?:spaces?|whitespace|commas?|newlines?|slash(?:es)?)|formatting|re-?format\w*|grammar|wording|capitali[sz]ation|lint(?:er|ing)?\s+(?:errors?|warnings?))\b`,
      weight: 2,
      description: 'a cosmetic edit: typo, indentation, whitespace, formatting, wording',
    },
    {
      id: 'simple.rename',
      pattern: String.raw`\b(?:rename[sd]?|renaming)\b`,
      weight: 2,
      description: 'renaming something',
    },
    {
      id: 'simple.small-addition',
      pattern: String.raw`\b(?:add|remove|delete|insert|drop)(?:s|ed|ing)?\s+(?:an?\s+|the\s+|missing\s+|this\s+|some\s+|unused\s+)?(?:imports?|import\s+statements?|comments?|docstrings?|log(?:ging)?\s+(?:lines?|statements?|calls?|messages?)|print(?:\s+statements?)?|type\s+hints?|annotations?|newlines?|semicolons?|labels?|links?|default\s+values?)\b`,
      weight: 2,
      description: 'adding or removing a one-line item: an import, a comment, a log line, a type hint',
    },
    {
      id: 'simple.boilerplate',
      pattern: String.raw`\bgenerate\s+(?:an?\s+|the\s+)?(?:getters?|setters?|constructors?|boilerplate|docstrings?|stubs?|__init__|tostring|equals)\b`,
      weight: 2,
      description: 'generating boilerplate',
    },
    {
      id: 'simple.question',
      pattern: String.raw`^\s*(?:what|where|when|which|how)\s+(?:is|are|was|does|do|can|should|to)\b`,
      weight: 1.5,
      description: 'the prompt opens with a question about how or what something is',
    },
    {
      id: 'simple.text-or-docs',
      pattern: String.raw`\b(?:(?:error|warning|exception|log|help|deprecation|usage)\s+(?:messages?|texts?|strings?|output)|docs|documentation|docstrings?|readme|changelog|labels?|tooltips?|spacing)\b`,
      weight: 1,
      description: 'a message, label or documentation to change',
    },
    {
      id: 'simple.small-change',
      pattern: String.raw`\b(?:one[- ]liner?|single[- ]line|(?:small|minor|trivial|quick|simple|easy|obvious)\s+(?:change|fix|patch|tweak)|should\s+(?:read|say)|instead\s+of|(?:just|simply)\s+(?:need|needs|add|remove|change|replace|use|call|pass|return|drop))\b`,
      weight: 1.5,
      description: 'the change is said to be small',
    },
    {
      id: 'simple.diagnosed',
      pattern: String.raw`\b(?:(?:is|are)\s+caused\s+by|the\s+(?:problem|issue|bug|error|cause)\s+(?:is|seems|lies)\s+(?:in|that|with)|the\s+(?:fix|solution)\s+(?:is|would\s+be|seems)|would\s+(?:solve|fix)|(?:we|you|it)\s+(?:should|could|can)\s+(?:just\s+|simply\s+)?(?:raise|remove|add|use|set|change|replace|pass|return|call|check)|it\s+is\s+better\s+to|(?:attach|submit|open|send|make)\s+(?:a\s+|the\s+)?(?:pr|pull\s+request|patch)|(?:on|at|in)\s+line\s+\d+)\b`,
      weight: 1.5,
      description: 'the cause or the fix is already pointed out',
    },
    {
      id: 'simple.bump',
      pattern: String.raw`\b(?:bump|pin|upgrade|update)(?:s|ed|ing)?\s+(?:the\s+)?(?:version|dependency|dependencies|package)\b`,
      weight: 1.5,
      description: 'a version bump',
    },
  ],
  moderate: [
    {
      id: 'moderate.code-unit',
      pattern: String.raw`\b(?:implement|write|add|create|build|make|refactor|rewrite|extract|split|convert|port)(?:s|ed|ing)?\s+(?:an?\s+|the\s+|new\s+|this\s+|that\s+)?(?:[\w-]{1,40}\s+){0,2}?(?:functions?|methods?|class(?:es)?|modules?|components?|endpoints?|handlers?|helpers?|hooks?|parsers?|validators?|decorators?|commands?|tests?|unit\s+tests?|options?|flags?|arguments?|parameters?|fields?|properties|routes?|queries|query|scripts?)\b`,
      weight: 2,
      description: 'writing or reworking one unit of code: a function, a class, an endpoint, tests',
    },
    {
      id: 'moderate.task-verb',
      pattern: String.raw`\b(?:implement(?:ing)?|refactor(?:ing)?|debug(?:ging)?|optimi[sz](?:e|ing)|extend(?:ing)?|convert(?:ing)?|port(?:ing)?|validat(?:e|ing))\b`,
      weight: 1.5,
      description: 'a task verb (not a participle describing a state): implement, refactor, debug, optimise, convert',
    },
    {
      id: 'moderate.debug',
      pattern: String.raw`\b(?:debug|fix|investigate|diagnose|troubleshoot|track\s+down|reproduce|resolve)(?:s|es|ed|ing|ged|ging)?\s+(?:an?\s+|the\s+|this\s+|that\s+)?(?:\w+\s+)?(?:bugs?|issues?|errors?|crash(?:es)?|failures?|exceptions?|regressions?|problems?|leaks?|failing\s+tests?)\b`,
      weight: 2,
      description: 'finding and fixing a bug',
    },
    {
      id: 'moderate.failure',
      pattern: String.raw`\b(?:crash(?:es|ed|ing)?|raises?|throws?|traceback|exception|regression|segfault|fails?|failing|broken|incorrect(?:ly)?|wrong|unexpected(?:ly)?|(?:does\s+not|doesn't|do\s+not|don't)\s+work)\b`,
      weight: 1,
      description: 'a reported failure that needs diagnosing',
    },
    {
      id: 'moderate.explain',
      pattern: String.raw`\b(?:explain|analy[sz]e|review|walk\s+(?:me\s+)?through)\s+(?:\w+\s+){0,3}?(?:code|algorithm|function|implementation|pattern|logic|module|class|diff|pr|pull\s+request)\b`,
      weight: 1.5,
      description: 'explaining or reviewing code',
    },
    {
      id: 'moderate.tests',
      pattern: String.raw`\b(?:(?:unit|integration|regression)\s+tests?|test\s+(?:coverage|cases?|suite)|write\s+tests?)\b`,
      weight: 1,
      description: 'tests to write',
    },
  ],
  complex: [
    {
      id: 'complex.design',
      pattern: String.raw`\b(?:architect(?:s|ed|ing|ure)?|design(?:s|ed|ing)?\s+(?:an?\s+|the\s+|our\s+)?(?:new\s+)?(?:\w+\s+)?(?:system|architecture|services?|apis?|schema|platform|framework|pipeline|protocol|solution|database|backend|infrastructure|microservices?)|re-?design\w*|re-?architect\w*|overhaul\w*|migrat(?:e|es|ed|ing|ion)\s+(?:\w+\s+){0,3}?(?:to|from|off))\b`,
      weight: 3,
      description: 'designing or migrating a system',
    },
    {
      id: 'complex.system-performance',
      pattern: String.raw`\b(?:optimi[sz]e|tune|scale|speed\s+up|profile)(?:s|d|ing)?\s+(?:the\s+|our\s+|all\s+)?(?:\w+\s+)?(?:databases?|db|sql|quer(?:y|ies)|system|services?|cluster|infrastructure|pipeline|throughput|latency|performance|backend|api|search|index(?:es)?|indices)\b`,
      weight: 3,
      description: 'performance work on a system or data layer',
    },
    {
      id: 'complex.quality-attribute',
      pattern: String.raw`\b(?:scalab\w*|concurren\w*|thread[- ]safe\w*|race\s+conditions?|deadlocks?|memory\s+leaks?|distributed|fault[- ]toleran\w*|high[- ]availability|zero[- ]downtime|eventual(?:ly)?\s+consisten\w*|consensus|replication|sharding|partitioning|load\s+balanc\w*|rate[- ]limit\w*|real[- ]time|conflict\s+resolution|(?:security|performance|scalability)\s+(?:issues?|concerns?|optimi[sz]ations?|audits?|reviews?))\b`,
      weight: 2.5,
      description: 'a system-wide quality: concurrency, scalability, fault tolerance, security',
    },
    {
      id: 'complex.cross-cutting',
      pattern: String.raw`\b(?:(?:multi|cross)[- ]?(?:platform|service|thread(?:ed|ing)?|process|tenant|region|module|repo(?:sitory)?|database|language|browser|team)|end[- ]to[- ]end)\b`,
      weight: 2.5,
      description: 'work that crosses platforms, services, threads or processes',
    },
    {
      id: 'complex.infrastructure',
      pattern: String.raw`\b(?:ci\s*\/\s*cd|continuous\s+(?:integration|deployment|delivery)|deploy(?:ment)?\s+pipelines?|infrastructure|docker(?:file|i[sz]e|i[sz]ed)?|kubernetes|k8s|helm|terraform|ansible|microservices?|service\s+mesh|message\s+(?:queues?|brokers?)|event[- ]driven|serverless|orchestrat\w*)\b`,
      weight: 3,
      description: 'infrastructure, deployment, microservices',
    },
    {
      id: 'complex.integration',
      pattern: String.raw`\b(?:integrat\w*|connect|sync\w*)\b[^.\n]{0,80}?\b(?:apis?|databases?|services?|systems?|backends?|providers?|platforms?|gateways?|queues?)\b`,
      weight: 2,
      description: 'integrating with another system',
    },
    {
      id: 'complex.scope',
      pattern: String.raw`\b(?:(?:entire|whole)\s+(?:code\s*base|project|repo(?:sitory)?|application|app|system|stack|package|library)|across\s+(?:the\s+|all\s+|multiple\s+|several\s+|many\s+)?(?:code\s*base|project|repo(?:sitory|s)?|modules|files|services|components|packages|layers|platforms|backends)|throughout\s+the\s+(?:code\s*base|project|application|library)|(?:every|all)\s+(?:the\s+)?(?:modules|files|services|endpoints|call\s*sites|callers|components|packages|backends|platforms|places)|(?:code\s*base|system)[- ]wide)\b`,
      weight: 2.5,
      description: 'a scope word: across the codebase, every module, the whole system',
    },
    {
      id: 'complex.several-parts',
      pattern: String.raw`\b(?:several|multiple|many|various|a\s+few|some|two|three|four|both)\s+(?:issues|problems|bugs|places|parts|components|modules|services|systems|backends|layers|steps|phases|features|requirements)\b`,
      weight: 1.5,
      description: 'several problems or parts named at once',
    },
    {
      id: 'complex.constraints',
      pattern: String.raw`\b(?:without\s+(?:breaking|changing|downtime|losing|affecting)|backwards?[- ]compat\w*|(?:must|should)\s+(?:still|also|remain|continue|not\s+break)|while\s+(?:keeping|preserving|maintaining|still)|(?:preserv|maintain)(?:e|es|ing)\s+(?:the\s+)?(?:existing|current|old)\s+behaviou?r|idempoten\w*|atomic(?:ally)?|transactional|at\s+scale)\b|\b(?:under|within|below|less\s+than)\s+\d+\s*(?:ms|milliseconds|seconds|mb|gb)\b|\bO\(\s?n(?:\s?log\s?n)?\s?\)`,
      weight: 1.5,
      description: 'a constraint the change must respect: compatibility, atomicity, a time or size budget',
    },
    {
      id: 'complex.new-capability',
      pattern: String.raw`\b(?:support\s+for|add(?:s|ing)?\s+support|(?:should|could|would)\s+(?:be\s+able\s+to|support|handle|calculate|allow|also\s+work)|not\s+(?:yet\s+)?(?:supported|implemented)|new\s+(?:feature|subsystem|architecture|framework|engine|protocol|backend)|feature\s+requests?|proposal|rfc|roadmap)\b`,
      weight: 1.5,
      description: 'a capability that does not exist yet, or a proposal',
    },
    {
      id: 'complex.interaction',
      pattern: String.raw`\b(?:combin(?:e|es|ed|ation)\s+(?:of|with)|combining\s+[\w.-]{1,40}(?:\s+[\w.-]{1,40})?\s+(?:and|with)|in\s+combination\s+with|together\s+with|when\s+used\s+(?:with|together)|interact(?:s|ion|ions)?\s+(?:between|with)|interplay)\b`,
      weight: 1.5,
      description: 'two components interacting',
    },
    {
      id: 'complex.hard-failure',
      pattern: String.raw`\b(?:hangs?|hanging|freez(?:e|es|ing)|deadlocks?|infinite\s+(?:loop|recursion)|recursion\s+(?:error|depth)|memory\s+(?:leaks?|errors?|usage)|segfaults?|segmentation\s+fault|race\s+conditions?|non-?deterministic\w*|flaky|intermittent\w*|random(?:ly)?\s+fail\w*)\b`,
      weight: 1.5,
      description: 'a failure that is hard to reproduce or pin down',
    },
    {
      id: 'complex.algorithmic',
      pattern: String.raw`\b(?:algorithm(?:s|ic)?|heuristics?|numerical(?:ly)?\s+(?:stable|stability|accuracy|precision)|asymptotic\w*|convergence|np[- ](?:hard|complete))\b`,
      weight: 1,
      description: 'algorithmic or numerical work',
    },
    {
      id: 'complex.consistency',
      pattern: String.raw`\b(?:consisten(?:t|cy)\s+(?:with|across|between)|(?:the\s+)?same\s+(?:order|behaviou?r|output|results?|format|way)|inconsisten\w*\s+(?:between|across|with))\b`,
      weight: 1,
      description: 'making several code paths agree',
    },
  ],
};

/**
 * The built-in signals: bands of measured features (see features.ts), each adding its weight to one tier when the
 * feature falls in [min, max].
 */
export const DEFAULT_SIGNALS: readonly SignalInput[] = [
  { id: 'short-prompt', feature: 'words', max: 12, tier: 'simple', weight: 0.5, description: 'a one-line request' },
  { id: 'detailed-prompt', feature: 'words', min: 80, max: 599, tier: 'moderate', weight: 0.5, description: 'a paragraph or more of description' },
  { id: 'long-prompt', feature: 'words', min: 600, tier: 'complex', weight: 1, description: 'a long brief' },
  { id: 'stack-trace', feature: 'stackTraces', min: 1, tier: 'moderate', weight: 1, description: 'a stack trace to diagnose' },
  { id: 'deep-stack', feature: 'stackFrames', min: 15, tier: 'complex', weight: 1, description: 'a deep stack trace' },
  { id: 'some-code', feature: 'codeLines', min: 3, max: 59, tier: 'moderate', weight: 0.5, description: 'code to work with' },
  { id: 'lots-of-code', feature: 'codeLines', min: 60, tier: 'complex', weight: 1, description: 'a large amount of code' },
  { id: 'one-file', feature: 'files', min: 1, max: 1, tier: 'simple', weight: 1, description: 'one file named: the change has a known place' },
  { id: 'several-files', feature: 'files', min: 2, max: 3, tier: 'moderate', weight: 1, description: 'two or three files named' },
  { id: 'many-files', feature: 'files', min: 4, tier: 'complex', weight: 2, description: 'four or more files named' },
  { id: 'many-components', feature: 'components', min: 6, tier: 'complex', weight: 1, description: 'six or more code components named' },
  { id: 'two-systems', feature: 'systems', min: 2, max: 2, tier: 'moderate', weight: 1, description: 'two systems named' },
  { id: 'many-systems', feature: 'systems', min: 3, tier: 'complex', weight: 2, description: 'three or more systems named' },
  { id: 'requirements-list', feature: 'listItems', min: 4, tier: 'complex', weight: 1, description: 'a list of four or more items' },
];

/**
 * Score each tier starts from: the only numbers fitted to data (macro-F1 on the dev set, checked by grouped
 * cross-validation; see the README). With no evidence a prompt is simple; 80 words of description tip it to moderate.
 */
export const DEFAULT_BIAS: Readonly<Record<Tier, number>> = { simple: 0.75, moderate: 0.5, complex: -0.75 };
/** Softmax temperature for the confidence: a lead of 2 points gives about 0.8 between two tiers. */
export const DEFAULT_TEMPERATURE = 1.4;
/** Characters the rules scan: about 16 pages of text; longer prompts are scanned at the head and the tail. */
export const DEFAULT_SCAN_CHARS = 65_536;
