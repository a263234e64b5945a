/** The hub: findings store, REST API, scan on push, Security Hub sync. Other code uses only this file. */
export { type DialectName, type HubDb, openHubDb } from './db.js';
export * from './store.js';
