import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The one directory Rampart keeps state in (advisory DB, layer cache, SBOMs):
 * `--cache-dir`, else `$RAMPART_CACHE_DIR`, else `$XDG_CACHE_HOME/rampart`, else `~/.cache/rampart`.
 */
export function resolveCacheDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.RAMPART_CACHE_DIR) return resolve(env.RAMPART_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'rampart');
  return join(homedir(), '.cache', 'rampart');
}
