/** The hub: findings store, REST API, scan on push, Security Hub sync. Other code uses only this file. */

export { type PushOptions, pushFindings } from './client.js';
export { type DialectName, type HubDb, openHubDb } from './db.js';
export { openApiDocument } from './openapi.js';
export { PgBossQueue, type PgBossQueueOptions } from './pgboss.js';
export { type PushFileOptions, type PushFileReport, pushFindingsFile, readFindingsFile } from './push-file.js';
export {
  type Job,
  type JobHandler,
  JobQueue,
  type JobView,
  type QueueCounts,
  type QueueOptions,
  type ScanQueue,
} from './queue.js';
export { fetchManifest, type ManifestInfo } from './registry.js';
export {
  advisoryDbVersion,
  type HubScanOutput,
  IMAGE_SCAN_JOB,
  type ImageScanFunction,
  imageScanHandler,
  matchInventory,
  rematchStoredImages,
  scanPushedImage,
} from './scan.js';
export { type SecurityHubOptions, SecurityHubSync, type SyncReport } from './securityhub.js';
export { buildHubApp, checkInsecureRegistries, defaultWebRoot, type HubAppOptions, isLoopback } from './server.js';
export {
  type HubOptions,
  type RunningHub,
  type RunningWorker,
  startHub,
  startWorker,
  type WorkerOptions,
} from './start.js';
export * from './store.js';
export { bearerMatches, type PushEvent, parseEcrEvents, parseRegistryEnvelope } from './webhooks.js';
