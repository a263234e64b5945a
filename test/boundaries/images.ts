import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTar, writeOciLayout } from '../image/support.js';

/** A one-layer Alpine-like image: os-release and an apk database with the given packages; `user` is the config User. */
export async function alpineLayout(
  packages: Array<{ name: string; version: string }>,
  user: string,
): Promise<{ dir: string; cleanup: () => void }> {
  const installed = packages
    .map((p) => `P:${p.name}\nV:${p.version}\nA:x86_64\no:${p.name}\nL:GPL-2.0-only\n`)
    .join('\n');
  const layer = await makeTar([
    { name: 'etc/', type: 'directory' },
    {
      name: 'etc/os-release',
      content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n',
    },
    { name: 'lib/', type: 'directory' },
    { name: 'lib/apk/', type: 'directory' },
    { name: 'lib/apk/db/', type: 'directory' },
    { name: 'lib/apk/db/installed', content: `${installed}\n` },
  ]);
  return writeOciLayout([layer], {
    tag: 'latest',
    config: {
      architecture: 'amd64',
      os: 'linux',
      config: { User: user, Cmd: ['/bin/sh'] },
    },
  });
}

/** Our own advisory (not real): busybox before 1.36.1-r29 on Alpine 3.20, critical. */
export const TEST_ADVISORY_ID = 'RAMPART-TEST-2026-0001';

/** Creates the advisory DB in `cacheDir` from one hand-written OSV record. */
export async function importTestAdvisory(cacheDir: string, scratch: string): Promise<void> {
  // Loaded here: the CLI tests use only the image layouts and should not load the vulnerability engine.
  const { importAdvisories } = await import('../../src/vuln/index.js');
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, `${TEST_ADVISORY_ID}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      schema_version: '1.6.0',
      id: TEST_ADVISORY_ID,
      modified: '2026-11-01T00:00:00Z',
      published: '2026-11-01T00:00:00Z',
      summary: 'test advisory for the audit image tests',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      affected: [
        {
          package: { ecosystem: 'Alpine:v3.20', name: 'busybox' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.36.1-r29' }] }],
        },
      ],
    }),
  );
  const [report] = importAdvisories([file], cacheDir);
  if (report?.records !== 1) throw new Error(`test advisory not imported: ${JSON.stringify(report)}`);
}
