import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './postgres.js';

/** Where docker-registry sends its push notifications, with the shared secret as a bearer header. */
export interface RegistryNotify {
  url: string;
  secret: string;
}

/**
 * Debian's docker-registry (CNCF Distribution) on 127.0.0.1 and a free port, storing in `<dir>/storage`; with
 * `notify`, every push is announced to that endpoint. Resolves once `/v2/` answers.
 */
export async function startDockerRegistry(
  dir: string,
  options: { port?: number; notify?: RegistryNotify } = {},
): Promise<{ port: number; url: string; child: ChildProcess }> {
  const port = options.port ?? (await freePort());
  const notify = options.notify;
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const lines = [
    'version: 0.1',
    'log: { level: error }',
    `storage: { filesystem: { rootdirectory: ${join(dir, 'storage')} } }`,
    `http: { addr: 127.0.0.1:${port}, secret: test-only-secret }`,
  ];
  if (notify) {
    lines.push(
      'notifications:',
      '  endpoints:',
      '    - name: rampart-hub',
      `      url: ${notify.url}`,
      '      headers:',
      `        Authorization: [Bearer ${notify.secret}]`,
      '      timeout: 2s',
      '      threshold: 3',
      '      backoff: 1s',
      '      ignoredmediatypes: [application/octet-stream]',
    );
  }
  writeFileSync(join(dir, 'registry.yml'), `${lines.join('\n')}\n`);
  const child = spawn('docker-registry', ['serve', join(dir, 'registry.yml')], { stdio: 'ignore', cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${url}/v2/`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return { port, url, child };
    if (Date.now() > end || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('docker-registry did not answer on /v2/ within 20 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
