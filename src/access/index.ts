export * from './access-policies.js';
export * from './aws-snapshot.js';
export * from './identity.js';
export * from './model.js';
export * from './questions.js';
export * from './rbac.js';
export * from './request.js';
export * from './risks.js';
