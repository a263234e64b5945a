export * from './pss/checks.js';
export * from './pss/evaluate.js';
export * from './pss/version.js';
