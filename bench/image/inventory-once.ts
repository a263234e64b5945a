// One inventory run in its own process (for wall time and peak memory): prints the package list as JSON.
import { inventoryImage } from '../../src/image/index.js';

const source = process.argv[2];
if (!source) throw new Error('usage: inventory-once.ts <source>');
const inv = await inventoryImage(source, { cacheDir: false });
process.stdout.write(
  JSON.stringify({
    packages: inv.packages.map((p) => ({
      type: p.type,
      name: p.name,
      version: p.version,
      release: p.release,
      epoch: p.epoch,
    })),
    problems: inv.problems.length,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
