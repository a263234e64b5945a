export * from './rbac.js';
