import { spawnSync } from 'node:child_process';

/**
 * For tests that need a real system tool (skopeo, umoci, registry, postgres, chromium…).
 * Returns undefined when the tool is there; otherwise a one-line skip reason naming it. Under CI=true a missing
 * tool is an error, so nothing skips silently in CI.
 */
export function missingTool(command: string, installHint = 'bash scripts/test-deps.sh (as root)'): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${JSON.stringify(command)}`], { encoding: 'utf8' });
  if (found.status === 0) return undefined;
  if (process.env.CI === 'true') {
    throw new Error(`${command} is required in CI but not installed; scripts/test-deps.sh should have installed it`);
  }
  return `${command} not installed; skipping (install: ${installHint})`;
}
