// Everything exported here is the public API of @globalmcp/router.
export { Classifier } from './classify.js';
export type { Classification, Evidence, Thresholds } from './classify.js';
export { DEFAULT_BIAS, DEFAULT_RULES, DEFAULT_SCAN_CHARS, DEFAULT_SIGNALS, DEFAULT_TEMPERATURE } from './defaultRules.js';
export { FEATURE_NAMES } from './features.js';
export type { FeatureName, Features } from './features.js';
export { analyzePattern } from './patternSafety.js';
export type { AnalyzedPattern, PatternProblem, WordPrefixes } from './patternSafety.js';
export { DEFAULT_ROUTER_CONFIG, MAX_PATTERN_LENGTH, RouterConfigSchema, RuleSchema, SignalSchema, TIERS, loadRouterConfig, parseRouterConfig } from './routerConfig.js';
export type { Rule, RuleInput, RouterConfig, RouterConfigInput, Signal, SignalInput, Tier } from './routerConfig.js';
export { RouterError } from './routerError.js';
export type { RouterErrorCode } from './routerError.js';
export { HybridSchema, TierPoliciesSchema } from './routingConfig.js';
export { Router, MODEL_AGREES_CONFIDENCE, MODEL_DISAGREES_CONFIDENCE } from './router.js';
export type { Decision, RouteOptions, RouteResult, RouteStreamEvent, RouterOptions } from './router.js';
export { Analytics } from './analytics.js';
export type { AnalyticsSnapshot, FeedbackResult, RouteRecord } from './analytics.js';
export { classifierPrompt, parseVerdict } from './hybrid.js';
export type { ModelVerdict } from './hybrid.js';
