import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError, type InputProblem } from '../core/index.js';
import type { AccessEntry, AccessScope, AuthenticationMode } from './identity.js';
import { AUTHENTICATION_MODES, stripRolePath } from './identity.js';

/**
 * An AWS snapshot directory: the JSON the EKS API returns (as `aws eks … --output json` prints it), one response
 * per file, recognised by content so file names do not matter:
 *   DescribeCluster `{cluster}`, ListAccessEntries `{accessEntries: [arn]}`, DescribeAccessEntry `{accessEntry}`,
 *   ListAssociatedAccessPolicies `{principalArn, associatedAccessPolicies}`, and optionally IAM ListRoles `{Roles}` /
 *   ListUsers `{Users}` (to tell mapped ARNs that no longer exist).
 */
export interface AwsClusterInfo {
  name?: string;
  arn?: string;
  version?: string;
  status?: string;
  endpoint?: string;
  authenticationMode?: AuthenticationMode;
  bootstrapClusterCreatorAdminPermissions?: boolean;
  endpointPublicAccess?: boolean;
  endpointPrivateAccess?: boolean;
  publicAccessCidrs?: string[];
  file: string;
}

export interface AwsSnapshot {
  dir: string;
  cluster?: AwsClusterInfo;
  accessEntries: AccessEntry[];
  /** ARNs listed by ListAccessEntries (undefined when no listing was captured). */
  listedEntries?: string[];
  /** Known IAM principal ARNs, lowercased, roles also without path (undefined when no IAM listing was captured). */
  iamPrincipals?: Set<string>;
  problems: InputProblem[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read: ${(err as Error).message}`, { file });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, { file });
  }
}

function scopeOf(v: unknown, file: string, field: string): AccessScope {
  if (isObj(v) && v.type === 'cluster') return { type: 'cluster' };
  if (isObj(v) && v.type === 'namespace') return { type: 'namespace', namespaces: strings(v.namespaces) };
  throw new InputError('accessScope.type must be "cluster" or "namespace"', { file, field });
}

/** Loads an AWS snapshot directory; a malformed file is an InputError naming it (nothing is half-read). */
export function loadAwsSnapshot(dir: string): AwsSnapshot {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new InputError('--aws-snapshot must be a directory', { file: dir });
    names = readdirSync(dir).sort();
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read AWS snapshot directory: ${(err as Error).message}`, { file: dir });
  }
  const snap: AwsSnapshot = { dir, accessEntries: [], problems: [] };
  const entries = new Map<string, AccessEntry>();
  const policies = new Map<string, { policyArn: string; accessScope: AccessScope }[]>();
  const entryOf = (arn: string, file: string): AccessEntry => {
    let e = entries.get(arn);
    if (!e) {
      e = { principalArn: arn, type: 'STANDARD', kubernetesGroups: [], policies: [], origin: { file } };
      entries.set(arn, e);
    }
    return e;
  };
  for (const name of names) {
    if (extname(name).toLowerCase() !== '.json') continue;
    const file = join(dir, name);
    const doc = readJson(file);
    if (!isObj(doc)) throw new InputError('expected a JSON object (an EKS or IAM API response)', { file });
    if (isObj(doc.cluster)) {
      const c = doc.cluster;
      const access = isObj(c.accessConfig) ? c.accessConfig : {};
      const vpc = isObj(c.resourcesVpcConfig) ? c.resourcesVpcConfig : {};
      const mode = access.authenticationMode;
      if (mode !== undefined && !(AUTHENTICATION_MODES as readonly unknown[]).includes(mode))
        throw new InputError(`unknown authenticationMode ${String(mode)}`, {
          file,
          field: 'cluster.accessConfig.authenticationMode',
        });
      snap.cluster = {
        name: typeof c.name === 'string' ? c.name : undefined,
        arn: typeof c.arn === 'string' ? c.arn : undefined,
        version: typeof c.version === 'string' ? c.version : undefined,
        status: typeof c.status === 'string' ? c.status : undefined,
        endpoint: typeof c.endpoint === 'string' ? c.endpoint : undefined,
        authenticationMode: mode as AuthenticationMode | undefined,
        bootstrapClusterCreatorAdminPermissions:
          typeof access.bootstrapClusterCreatorAdminPermissions === 'boolean'
            ? access.bootstrapClusterCreatorAdminPermissions
            : undefined,
        endpointPublicAccess: typeof vpc.endpointPublicAccess === 'boolean' ? vpc.endpointPublicAccess : undefined,
        endpointPrivateAccess: typeof vpc.endpointPrivateAccess === 'boolean' ? vpc.endpointPrivateAccess : undefined,
        publicAccessCidrs: Array.isArray(vpc.publicAccessCidrs) ? strings(vpc.publicAccessCidrs) : undefined,
        file,
      };
    } else if (Array.isArray(doc.accessEntries)) {
      snap.listedEntries = [...(snap.listedEntries ?? []), ...strings(doc.accessEntries)];
    } else if (isObj(doc.accessEntry)) {
      const a = doc.accessEntry;
      if (typeof a.principalArn !== 'string')
        throw new InputError('accessEntry.principalArn is missing', { file, field: 'accessEntry.principalArn' });
      const e = entryOf(a.principalArn, file);
      e.type = typeof a.type === 'string' ? a.type : 'STANDARD';
      e.username = typeof a.username === 'string' ? a.username : undefined;
      e.kubernetesGroups = strings(a.kubernetesGroups);
      e.origin = { file };
    } else if (Array.isArray(doc.associatedAccessPolicies)) {
      if (typeof doc.principalArn !== 'string')
        throw new InputError('principalArn is missing', { file, field: 'principalArn' });
      const list = policies.get(doc.principalArn) ?? [];
      doc.associatedAccessPolicies.forEach((p, i) => {
        const field = `associatedAccessPolicies[${i}]`;
        if (!isObj(p) || typeof p.policyArn !== 'string')
          throw new InputError('policyArn is missing', { file, field: `${field}.policyArn` });
        list.push({ policyArn: p.policyArn, accessScope: scopeOf(p.accessScope, file, `${field}.accessScope`) });
      });
      policies.set(doc.principalArn, list);
    } else if (Array.isArray(doc.Roles) || Array.isArray(doc.Users)) {
      snap.iamPrincipals ??= new Set();
      for (const r of [...((doc.Roles as unknown[]) ?? []), ...((doc.Users as unknown[]) ?? [])])
        if (isObj(r) && typeof r.Arn === 'string') {
          // aws-auth names roles without their path, so both spellings count as existing.
          snap.iamPrincipals.add(r.Arn.toLowerCase());
          snap.iamPrincipals.add(stripRolePath(r.Arn).toLowerCase());
        }
    } else {
      snap.problems.push({ level: 'warning', file, message: 'not a recognised EKS or IAM API response; ignored' });
    }
  }
  for (const [arn, list] of policies) {
    const e = entries.get(arn);
    if (!e) {
      snap.problems.push({
        level: 'warning',
        message: `associated access policies for ${arn} but no DescribeAccessEntry response; entry assumed STANDARD`,
        file: dir,
      });
    }
    entryOf(arn, dir).policies.push(...list);
  }
  for (const arn of snap.listedEntries ?? [])
    if (!entries.has(arn))
      snap.problems.push({
        level: 'warning',
        file: dir,
        message: `access entry ${arn} is listed but not described; its username and groups are unknown`,
      });
  snap.accessEntries = [...entries.values()];
  return snap;
}
