import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedPath } from '../support/shared.js';

/**
 * A rootfs directory holding the real Debian 12 build-machine dpkg status and os-release from ../shared (copied
 * into a temp dir the caller owns, never into the repo), for the images engine to read as `dir:<root>`.
 */
export function makeBookwormRootfs(root: string): string {
  mkdirSync(join(root, 'var', 'lib', 'dpkg'), { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  copyFileSync(
    sharedPath('vulndb', 'Debian', 'fixtures', 'bookworm-build-machine.dpkg-status') as string,
    join(root, 'var', 'lib', 'dpkg', 'status'),
  );
  copyFileSync(
    sharedPath('vulndb', 'Debian', 'fixtures', 'bookworm-build-machine.os-release') as string,
    join(root, 'etc', 'os-release'),
  );
  return root;
}
