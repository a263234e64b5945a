export * from './access-policies.js';
export * from './identity.js';
export * from './rbac.js';
