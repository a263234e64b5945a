import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type HubDb, openHubDb } from '../../../src/hub/index.js';
import { postgresSkipReason, startPostgres, type TempPostgres } from './postgres.js';

/**
 * The two backends every store-level test runs on: an SQLite file in a temp dir and a real PostgreSQL cluster
 * started for the test file. `open()` gives a fresh, empty, migrated database each time.
 */
export interface Backend {
  name: 'sqlite' | 'postgres';
  skip: string | undefined;
  open(): Promise<HubDb>;
  /** What `--db` would be for a fresh database (for servers started as child processes). */
  freshDbOption(): Promise<string>;
  cleanup(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-hub-'));
  let n = 0;
  return {
    name: 'sqlite',
    skip: undefined,
    async freshDbOption() {
      n++;
      return join(dir, `hub-${n}.sqlite`);
    },
    async open() {
      return openHubDb(await this.freshDbOption(), dir);
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresBackend(): Backend {
  const skip = postgresSkipReason();
  let server: TempPostgres | undefined;
  let n = 0;
  return {
    name: 'postgres',
    skip,
    async freshDbOption() {
      server ??= await startPostgres();
      n++;
      const name = `hub_${n}`;
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query(`create database ${name}`);
      await client.end();
      return server.url.replace(/\/postgres$/, `/${name}`);
    },
    async open() {
      return openHubDb(await this.freshDbOption(), tmpdir());
    },
    async cleanup() {
      server?.stop();
    },
  };
}
