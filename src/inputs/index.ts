export * from './kube.js';
export * from './live.js';
export * from './load.js';
export * from './snapshot.js';
export * from './summary.js';
export * from './workloads.js';
