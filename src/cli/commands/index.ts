import type { Command } from 'commander';

/**
 * Every command group, in the order `rampart --help` lists them. Each engine owns one file here exporting
 * `register(program)`. Groups load lazily: the CLI imports only the file(s) whose `names` hold the command being run
 * (engines pull in heavy libraries such as the AWS SDK), so `rampart netpol …` never loads the hub. To add a group,
 * add one entry: the top-level command names it registers, a one-line summary for `rampart --help`, and its loader.
 */
export interface CommandGroup {
  names: string[];
  summary: string;
  load: () => Promise<{ register(program: Command): void }>;
}

export const COMMAND_GROUPS: CommandGroup[] = [
  {
    names: ['snapshot'],
    summary: 'read cluster snapshots: files, kubectl dumps, the live API',
    load: () => import('./snapshot.js'),
  },
  {
    names: ['netpol'],
    summary: 'NetworkPolicy reachability: matrix, check, explain, lint, diff',
    load: () => import('./netpol.js'),
  },
  {
    names: ['lint', 'pss'],
    summary: 'Dockerfiles, scripts, CI, compose and manifests; Pod Security Standards',
    load: () => import('./lint.js'),
  },
  {
    names: ['access'],
    summary: 'who can do what: IAM → aws-auth/access entries → RBAC; tokens, kubeconfig, doctor',
    load: () => import('./access.js'),
  },
  { names: ['audit'], summary: 'every engine on a snapshot: boundary verdict per namespace', load: () => import('./audit.js') },
  { names: ['serve'], summary: 'the hub: findings store, API, webhooks, dashboard', load: () => import('./serve.js') },
];
