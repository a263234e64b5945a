import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (listen on 0, close, hand the number on). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Waits until `url` answers with anything below 500. */
export async function waitForHttp(url: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      await r.body?.cancel();
      if (r.status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

export interface RunningRegistry {
  /** `127.0.0.1:<port>`, for image references and `insecureRegistries`. */
  host: string;
  stop(): Promise<void>;
}

/**
 * Debian's real `docker-registry` (the CNCF distribution server) on 127.0.0.1, storing under `dir`. Plain HTTP on
 * loopback only, as Rampart's `--insecure-registry` allows.
 */
export async function startDockerRegistry(dir: string): Promise<RunningRegistry> {
  const host = `127.0.0.1:${await freePort()}`;
  const cfg = join(dir, 'registry.yml');
  writeFileSync(
    cfg,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'registry-data')}\nhttp:\n  addr: ${host}\n`,
  );
  const registry: ChildProcess = spawn('docker-registry', ['serve', cfg], { stdio: 'ignore' });
  try {
    await waitForHttp(`http://${host}/v2/`);
  } catch (err) {
    registry.kill('SIGTERM');
    throw err;
  }
  return {
    host,
    async stop() {
      if (registry.exitCode !== null || registry.signalCode !== null) return;
      registry.kill('SIGTERM');
      await new Promise((r) => registry.once('exit', r));
    },
  };
}
