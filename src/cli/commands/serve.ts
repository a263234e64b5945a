import { type Command, InvalidArgumentError } from 'commander';
import { cacheDirOf } from '../output.js';
import { TOOL_VERSION } from '../version.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port number 0-65535');
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number ≥ 0');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number ≥ 1');
  return n;
}

function collect(value: string, prior: string[]): string[] {
  return [...prior, value];
}

interface ServeOptions {
  host: string;
  port: number;
  db?: string;
  auth: boolean;
  newToken?: boolean;
  webhookSecret?: string;
  insecureRegistry: string[];
  concurrency: number;
  scanTimeout: number;
  securityhubRegion?: string;
  awsAccountId?: string;
  productArn?: string;
  securityhubEndpoint?: string;
  securityhubInterval?: number;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the hub: findings store, REST API, registry/ECR webhooks (scan on push), dashboard')
    .option('--host <address>', 'address to bind (non-loopback requires the API token)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', port, 8080)
    .option('--db <url|path>', 'postgres://… for PostgreSQL, else an SQLite file (default <cache-dir>/hub/hub.sqlite)')
    .option('--no-auth', 'serve the API without a token (loopback only)')
    .option('--new-token', 'create and print another API token')
    .option(
      '--webhook-secret <secret>',
      'enables /webhooks/*; senders use Authorization: Bearer <secret> (or $RAMPART_WEBHOOK_SECRET)',
    )
    .option(
      '--insecure-registry <host:port>',
      'pull over plain HTTP from this loopback registry (repeatable)',
      collect,
      [] as string[],
    )
    .option(
      '--concurrency <n>',
      'scans at once in this process (0 with PostgreSQL: rampart worker runs them)',
      count,
      2,
    )
    .option(
      '--scan-timeout <seconds>',
      'a scan running longer is presumed dead (kill -9, lost machine) and retried',
      positive,
      900,
    )
    .option('--securityhub-region <region>', 'export findings to Security Hub CSPM in this Region')
    .option('--aws-account-id <id>', 'Security Hub: account the findings are imported into')
    .option('--product-arn <arn>', "Security Hub: product ARN (default: the account's default custom product)")
    .option('--securityhub-endpoint <url>', 'Security Hub endpoint (default: AWS)')
    .option(
      '--securityhub-interval <seconds>',
      'export every N seconds (default: only POST /api/v1/securityhub:sync)',
      positive,
    )
    .addHelpText(
      'after',
      `
Examples:
  rampart serve                                   127.0.0.1:8080, SQLite in the cache dir; prints a token once
  rampart serve --db postgres://hub@db/rampart --host 0.0.0.0 --webhook-secret "$SECRET"
  rampart image scan img:1 -o json | curl -H "Authorization: Bearer $TOKEN" --data-binary @- \\
      -H content-type:application/json http://127.0.0.1:8080/api/v1/findings:batch`,
    )
    .action(async (opts: ServeOptions, cmd: Command) => {
      const { startHub } = await import('../../hub/index.js');
      const hub = await startHub({
        host: opts.host,
        port: opts.port,
        db: opts.db,
        cacheDir: cacheDirOf(cmd),
        auth: opts.auth,
        newToken: opts.newToken,
        webhookSecret: opts.webhookSecret ?? (process.env.RAMPART_WEBHOOK_SECRET || undefined),
        insecureRegistries: opts.insecureRegistry,
        concurrency: opts.concurrency,
        queue: { leaseMs: opts.scanTimeout * 1000 },
        version: TOOL_VERSION,
        ...(opts.securityhubRegion
          ? {
              securityHub: {
                region: opts.securityhubRegion,
                accountId: opts.awsAccountId ?? process.env.AWS_ACCOUNT_ID ?? '',
                productArn: opts.productArn,
                endpoint: opts.securityhubEndpoint,
                intervalMs: (opts.securityhubInterval ?? 0) * 1000,
              },
            }
          : {}),
      });
      const lines = [
        `rampart hub listening on ${hub.url} (${hub.dialect}: ${hub.dbLocation}; scan queue: ${hub.queueBackend})`,
        hub.webRoot ? `dashboard: ${hub.url}/` : 'dashboard: not built (npm run build:web)',
        `scan on push: ${hub.advisoryDb ? 'images are inventoried and matched' : 'no advisory DB yet (rampart db update): images are inventoried, findings stay unknown until it exists'}`,
      ];
      if (hub.newToken) lines.push(`API token (shown once, stored hashed): ${hub.newToken}`);
      process.stderr.write(`${lines.join('\n')}\n`);
      await untilSignal(() => hub.close());
    });

  program
    .command('worker')
    .description("process the hub's scan queue held in PostgreSQL (pg-boss); run one per machine, any number")
    .requiredOption('--db <url>', 'the hub database: postgres://…')
    .option('--concurrency <n>', 'scans at once in this process', positive, 2)
    .option('--scan-timeout <seconds>', 'same as the hub: how often lapsed scans are looked for', positive, 900)
    .option(
      '--insecure-registry <host:port>',
      'pull over plain HTTP from this loopback registry (repeatable)',
      collect,
      [] as string[],
    )
    .addHelpText(
      'after',
      `
Examples:
  rampart serve --db postgres://hub@db/rampart --concurrency 0    the hub only queues
  rampart worker --db postgres://hub@db/rampart --concurrency 4   on each scanning machine`,
    )
    .action(
      async (
        opts: { db: string; concurrency: number; scanTimeout: number; insecureRegistry: string[] },
        cmd: Command,
      ) => {
        const { startWorker } = await import('../../hub/index.js');
        const worker = await startWorker({
          db: opts.db,
          cacheDir: cacheDirOf(cmd),
          concurrency: opts.concurrency,
          insecureRegistries: opts.insecureRegistry,
          queue: { leaseMs: opts.scanTimeout * 1000 },
          onJob: (event) => process.stderr.write(`${event}\n`),
        });
        process.stderr.write(`rampart worker taking scans from ${worker.dbLocation} (${worker.concurrency} at once)\n`);
        await untilSignal(() => worker.close());
      },
    );
}

function untilSignal(close: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      close().finally(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
