import type { Command } from 'commander';

/**
 * Every command group, in the order `rampart --help` lists them. Each engine owns one file here exporting
 * `register(program)`. Groups load lazily: the CLI imports only the file(s) whose `names` hold the command being run
 * (engines pull in heavy libraries such as the AWS SDK), so `rampart netpol …` never loads the hub. To add a group,
 * add one entry: the top-level command names it registers, a one-line summary and examples for `rampart --help`,
 * and its loader.
 */
export interface CommandGroup {
  names: string[];
  summary: string;
  /** Shown under "Examples" in `rampart --help`. */
  examples: string[];
  load: () => Promise<{ register(program: Command): void }>;
}

export const COMMAND_GROUPS: CommandGroup[] = [
  {
    names: ['snapshot'],
    summary: 'read cluster snapshots: files, kubectl dumps, the live API',
    examples: ['rampart snapshot summary examples/acme', 'rampart snapshot pull --context prod --output-dir snap/'],
    load: () => import('./snapshot.js'),
  },
  {
    names: ['netpol'],
    summary: 'NetworkPolicy reachability: matrix, check, explain, lint, diff',
    examples: ['rampart netpol matrix examples/acme', 'rampart netpol lint examples/acme -o sarif'],
    load: () => import('./netpol.js'),
  },
  {
    names: ['lint', 'pss', 'rules'],
    summary: 'lint: Dockerfiles, scripts, CI, compose, manifests · pss: Pod Security Standards',
    examples: [
      'rampart lint examples/acme',
      'rampart pss check examples/acme --level restricted',
      'rampart rules list',
    ],
    load: () => import('./lint.js'),
  },
  {
    names: ['access'],
    summary: 'who can do what: IAM → aws-auth/access entries → RBAC; tokens, kubeconfig, doctor',
    examples: ['rampart access risks examples/acme', 'rampart access who-can examples/acme get secrets -n payments'],
    load: () => import('./access.js'),
  },
  {
    names: ['audit'],
    summary: 'every engine on a snapshot: boundary verdict per namespace',
    examples: ['rampart audit examples/acme -o html --output-file audit.html'],
    load: () => import('./audit.js'),
  },
  {
    names: ['serve', 'worker'],
    summary: 'the hub: findings store, API, webhooks, dashboard; worker: scans from the PostgreSQL queue',
    examples: ['rampart serve --port 8080', 'rampart worker --db postgres://hub@db/rampart'],
    load: () => import('./serve.js'),
  },
  {
    names: ['hub'],
    summary: 'hub push: send a saved -o json result to AWS Security Hub or a Rampart hub',
    examples: ['rampart hub push scan.json --to securityhub --region eu-west-1 --aws-account-id 111122223333'],
    load: () => import('./hub.js'),
  },
  {
    names: ['image'],
    summary: 'container images: OS and language package inventory, CycloneDX/SPDX SBOMs',
    examples: ['rampart image inventory docker-archive:app.tar', 'rampart image sbom oci:./layout:app -o spdx'],
    // `image scan`/`rescan` (vulnerability engine, loaded by their actions only) join the image group here.
    load: async () => {
      const [image, imageScan] = await Promise.all([import('./image.js'), import('./image-scan.js')]);
      return {
        register(program: Command) {
          image.register(program);
          imageScan.registerImageScan(program);
        },
      };
    },
  },
  {
    names: ['db'],
    summary: 'the vulnerability advisory DB: update (OSV, Alpine secdb, Debian tracker), import, status',
    examples: [
      'rampart db update',
      'rampart db import ../shared/vulndb/Go',
      'rampart image scan docker-archive:app.tar',
    ],
    load: () => import('./vuln.js'),
  },
];
