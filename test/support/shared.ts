import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where the external conformance suites and fixtures live: `$RAMPART_SHARED`, else `../shared` next to the
 * repository. Tests read them in place and never write there.
 */
export function sharedDataDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.RAMPART_SHARED
    ? resolve(env.RAMPART_SHARED)
    : resolve(import.meta.dirname, '..', '..', '..', 'shared');
  return existsSync(dir) ? dir : undefined;
}

export function sharedPath(...parts: string[]): string | undefined {
  const base = sharedDataDir();
  if (!base) return undefined;
  const p = join(base, ...parts);
  return existsSync(p) ? p : undefined;
}

/**
 * The one line a conformance test skips with when the shared data is absent, e.g.
 * `test('…', { skip: sharedSkipReason('conformance/rbac') }, …)`. Returns undefined (run the test) when present.
 */
export function sharedSkipReason(...parts: string[]): string | undefined {
  if (sharedPath(...parts)) return undefined;
  return `../shared/${parts.join('/')} not found (set RAMPART_SHARED to its location); skipping this conformance test`;
}
