import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  type EKSClient,
  paginateListAccessEntries,
  paginateListAssociatedAccessPolicies,
} from '@aws-sdk/client-eks';
import { IAMClient, paginateListRoles, paginateListUsers } from '@aws-sdk/client-iam';
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { RampartError, UsageError, writeFileAtomic } from '../core/index.js';
import { type AwsSnapshot, loadAwsSnapshot } from './aws-snapshot.js';
import { eksClient } from './kubeconfig.js';

/**
 * Live reads of the AWS side of cluster access, written as an AWS snapshot directory (the same JSON `aws eks …
 * --output json` prints, one response per file) so every question (`can-i`, `who-can`, `permissions`, `risks`)
 * reads live data through the one snapshot loader: DescribeCluster, ListAccessEntries → DescribeAccessEntry and
 * ListAssociatedAccessPolicies for each entry, and IAM ListRoles / ListUsers (to tell mapped ARNs that no longer
 * exist). Everything is fetched before anything is written; files are written atomically.
 */
export interface AwsLiveOptions {
  name: string;
  region: string;
  profile?: string;
  /** EKS endpoint override (tests, VPC endpoints). */
  endpointUrl?: string;
  /** IAM endpoint override (tests). IAM is global: its endpoint is not the EKS one. */
  iamEndpointUrl?: string;
  /** Skip IAM ListRoles/ListUsers (needs iam:ListRoles and iam:ListUsers). */
  skipIam?: boolean;
}

export interface AwsLiveResult {
  dir: string;
  files: string[];
  /** Calls that were not allowed or failed and what is missing because of them (never a secret). */
  warnings: string[];
  snapshot: AwsSnapshot;
}

const oneLine = (err: unknown) => {
  const e = err as Error & { name?: string };
  return `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message.split('\n')[0]}`;
};

/** Every principal ARN with an access entry (all pages). */
export async function listAccessEntryArns(eks: EKSClient, clusterName: string): Promise<string[]> {
  const arns: string[] = [];
  for await (const page of paginateListAccessEntries({ client: eks }, { clusterName }))
    arns.push(...(page.accessEntries ?? []));
  return arns;
}

/** A file-name-safe, readable, collision-free name for a principal ARN. */
function slugOf(arn: string, index: number): string {
  const tail = arn.split('/').pop() ?? 'entry';
  return `${String(index + 1).padStart(3, '0')}-${tail.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80)}`;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export async function pullAwsSnapshot(opts: AwsLiveOptions & { outputDir: string }): Promise<AwsLiveResult> {
  if (!opts.outputDir) throw new UsageError('--output-dir is required');
  // A previous pull's files (an entry deleted since) would silently mix into this one.
  if (existsSync(opts.outputDir) && readdirSync(opts.outputDir).length > 0)
    throw new UsageError(`--output-dir ${opts.outputDir} is not empty; choose a new or empty directory`);
  const files = new Map<string, string>();
  const warnings: string[] = [];
  const eks = eksClient({ region: opts.region, profile: opts.profile, endpointUrl: opts.endpointUrl });
  const where = `${opts.name} in ${opts.region}`;
  try {
    let cluster: Record<string, unknown> | undefined;
    try {
      cluster = (await eks.send(new DescribeClusterCommand({ name: opts.name }))).cluster as
        | Record<string, unknown>
        | undefined;
    } catch (err) {
      throw new RampartError('network', `DescribeCluster ${where}: ${oneLine(err)}`);
    }
    if (!cluster) throw new RampartError('input', `DescribeCluster ${where}: no cluster in the answer`);
    files.set('describe-cluster.json', json({ cluster }));
    const mode = (cluster.accessConfig as { authenticationMode?: string } | undefined)?.authenticationMode;
    if (mode === undefined || mode === 'CONFIG_MAP')
      warnings.push(
        `authentication mode ${mode ?? '(none)'}: no access entries to read; identities come from aws-auth`,
      );
    else {
      let arns: string[];
      try {
        arns = await listAccessEntryArns(eks, opts.name);
      } catch (err) {
        throw new RampartError('network', `ListAccessEntries ${where}: ${oneLine(err)}`);
      }
      files.set('list-access-entries.json', json({ accessEntries: arns }));
      for (const [i, principalArn] of arns.entries()) {
        const slug = slugOf(principalArn, i);
        try {
          const d = await eks.send(new DescribeAccessEntryCommand({ clusterName: opts.name, principalArn }));
          files.set(`describe-access-entry-${slug}.json`, json({ accessEntry: d.accessEntry }));
          const policies: unknown[] = [];
          for await (const page of paginateListAssociatedAccessPolicies(
            { client: eks },
            { clusterName: opts.name, principalArn },
          ))
            policies.push(...(page.associatedAccessPolicies ?? []));
          files.set(
            `list-associated-access-policies-${slug}.json`,
            json({ clusterName: opts.name, principalArn, associatedAccessPolicies: policies }),
          );
        } catch (err) {
          throw new RampartError('network', `access entry ${principalArn} of ${where}: ${oneLine(err)}`);
        }
      }
    }
  } finally {
    eks.destroy();
  }
  if (!opts.skipIam) await fetchIam(opts, files, warnings);
  mkdirSync(opts.outputDir, { recursive: true });
  for (const [name, text] of files) writeFileAtomic(join(opts.outputDir, name), text);
  // Read back through the loader: the directory is what every question will read.
  const snapshot = loadAwsSnapshot(opts.outputDir);
  return { dir: opts.outputDir, files: [...files.keys()], warnings, snapshot };
}

/** IAM ListRoles/ListUsers; a refusal is a warning (the snapshot then simply has no IAM listing). */
async function fetchIam(opts: AwsLiveOptions, files: Map<string, string>, warnings: string[]): Promise<void> {
  const iam = new IAMClient({
    // IAM is a global service signed for us-east-1 in the aws partition.
    region: opts.region.startsWith('cn-') ? 'cn-north-1' : 'us-east-1',
    credentials: opts.profile ? fromIni({ profile: opts.profile }) : fromNodeProviderChain(),
    ...(opts.iamEndpointUrl ? { endpoint: opts.iamEndpointUrl } : {}),
    maxAttempts: 2,
  });
  try {
    const roles: unknown[] = [];
    const users: unknown[] = [];
    for await (const page of paginateListRoles({ client: iam }, {})) roles.push(...(page.Roles ?? []));
    for await (const page of paginateListUsers({ client: iam }, {})) users.push(...(page.Users ?? []));
    files.set('iam-list-roles.json', json({ Roles: roles }));
    files.set('iam-list-users.json', json({ Users: users }));
  } catch (err) {
    warnings.push(
      `IAM ListRoles/ListUsers: ${oneLine(err)}; without them, mapped ARNs that no longer exist are not reported`,
    );
  } finally {
    iam.destroy();
  }
}
