import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { formatProblem, resolveCacheDir } from '../../core/index.js';
import { renderColumns } from '../../report/index.js';
import { advisoryDbStatus, importAdvisories, openAdvisoryDb, updateDb } from '../../vuln/index.js';
import { progress, writeText } from '../output.js';

function cacheDirOf(cmd: Command): string | undefined {
  return (cmd.optsWithGlobals() as { cacheDir?: string }).cacheDir;
}

function list(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export function register(program: Command): void {
  const db = program.command('db').description('the vulnerability advisory DB (SQLite, in the cache dir)');
  db.command('import')
    .description('import OSV JSON (directories, zips), Alpine secdb JSON/YAML, Debian tracker JSON')
    .argument('<paths...>', 'files, directories (read recursively) or .zip archives')
    .addHelpText('after', '\nExample:\n  rampart db import ../shared/vulndb/Go ../shared/vulndb/Alpine/secdb-2020')
    .action((paths: string[], _opts: unknown, cmd: Command) => {
      const reports = importAdvisories(paths, cacheDirOf(cmd));
      let problems = 0;
      for (const r of reports) {
        process.stdout.write(
          `${r.location}: ${r.records} records (${r.written} written, ${r.withdrawn} withdrawn), ${r.problems.length} skipped [${r.formats.join(', ')}]\n`,
        );
        for (const p of r.problems) process.stderr.write(`  skipped: ${formatProblem(p)}\n`);
        problems += r.problems.length;
      }
      process.exitCode = problems > 0 ? 2 : 0;
    });
  db.command('status')
    .description('sources, record counts and last update of the advisory DB')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action((opts: { output: string }, cmd: Command) => {
      const s = advisoryDbStatus(cacheDirOf(cmd));
      if (opts.output === 'json') {
        writeText(`${JSON.stringify(s, null, 2)}\n`);
        return;
      }
      const lines = [
        `DB ${s.path}: ${s.advisories} advisories (${s.withdrawn} withdrawn, not matched), ${s.affectedEntries} affected-package entries, ${s.problems} skipped records`,
        '',
        renderColumns(
          s.sources.map((x) => [x.name, x.kind, String(x.records), String(x.skipped), x.updatedAt]),
          ['SOURCE', 'KIND', 'RECORDS', 'SKIPPED', 'UPDATED'],
        ),
        '',
        renderColumns(
          s.ecosystems.map((e) => [e.ecosystem, String(e.entries)]),
          ['ECOSYSTEM', 'ENTRIES'],
        ),
      ];
      writeText(`${lines.join('\n')}\n`);
    });
  db.command('update')
    .description('download OSV per-ecosystem archives (incremental by modified), Alpine secdb, Debian tracker JSON')
    .option('--ecosystems <names...>', 'OSV ecosystems', [
      'Go',
      'PyPI',
      'npm',
      'Maven',
      'crates.io',
      'RubyGems',
      'NuGet',
      'Packagist',
      'Debian',
      'Alpine',
      'AlmaLinux',
      'Rocky Linux',
    ])
    .option('--alpine <branches...>', 'Alpine secdb branch/repo pairs', [
      'v3.19/main',
      'v3.19/community',
      'v3.20/main',
      'v3.20/community',
      'v3.21/main',
      'v3.21/community',
      'v3.22/main',
      'v3.22/community',
    ])
    .option('--no-debian-tracker', 'skip the Debian security tracker JSON')
    .option('--osv-url <url>', 'OSV bucket base URL (a mirror)')
    .option('--alpine-url <url>', 'Alpine secdb base URL (a mirror)')
    .option('--debian-tracker-url <url>', 'Debian tracker JSON URL (a mirror)')
    .addHelpText('after', '\nExample:\n  rampart db update --ecosystems Debian Go --alpine v3.20/main')
    .action(
      async (
        opts: {
          ecosystems: string[];
          alpine: string[];
          debianTracker: boolean;
          osvUrl?: string;
          alpineUrl?: string;
          debianTrackerUrl?: string;
        },
        cmd: Command,
      ) => {
        const cacheDir = resolveCacheDir(cacheDirOf(cmd));
        const handle = openAdvisoryDb(cacheDir);
        try {
          const report = await updateDb(handle, {
            ecosystems: list(opts.ecosystems),
            alpineBranches: list(opts.alpine),
            debianTracker: opts.debianTracker,
            ...(opts.osvUrl ? { osvBaseUrl: opts.osvUrl } : {}),
            ...(opts.alpineUrl ? { alpineBaseUrl: opts.alpineUrl } : {}),
            ...(opts.debianTrackerUrl ? { debianTrackerUrl: opts.debianTrackerUrl } : {}),
            downloadDir: join(cacheDir, 'vuln', 'downloads'),
            onProgress: progress,
          });
          progress('');
          for (const s of report.sources) {
            process.stdout.write(
              `${s.source}: ${s.mode}, ${s.records} records, ${s.written} written, ${s.problems.length} skipped\n`,
            );
            for (const p of s.problems) process.stderr.write(`  skipped: ${formatProblem(p)}\n`);
          }
          for (const e of report.errors) process.stderr.write(`error: ${formatProblem(e)}\n`);
          process.exitCode = report.errors.length > 0 ? 2 : 0;
        } finally {
          handle.close();
        }
      },
    );
}
