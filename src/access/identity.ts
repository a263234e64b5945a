import { parse as parseYaml } from 'yaml';
import type { InputProblem } from '../core/index.js';
import { accessPolicyRules } from './access-policies.js';
import { type PolicyRule, type RequestAttributes, ruleAllows, SYSTEM_AUTHENTICATED } from './rbac.js';

/**
 * IAM principal → Kubernetes identity on EKS, as aws-iam-authenticator and the EKS access-entry API do it:
 * ARN canonicalisation, aws-auth mapRoles/mapUsers/mapAccounts with templates, access entries, authentication
 * modes, and access-policy scopes.
 */

export type PrincipalType = 'ASSUMED_ROLE' | 'ROLE' | 'USER' | 'ROOT' | 'FEDERATED_USER';

export interface CanonicalPrincipal {
  type: PrincipalType;
  /** The ARN aws-auth compares against (case preserved; comparisons are case-insensitive). */
  canonicalArn: string;
  partition: string;
  accountId: string;
  sessionName?: string;
  /** Role or user name without path. */
  name: string;
  /** IAM path (`/` when none); only known for IAM ARNs. */
  path?: string;
}

const PARTITIONS = new Set([
  'aws',
  'aws-cn',
  'aws-us-gov',
  'aws-iso',
  'aws-iso-b',
  'aws-iso-e',
  'aws-iso-f',
  'aws-eusc',
]);

/** Parses an IAM or STS principal ARN; throws a plain Error naming the problem. */
export function canonicalizeArn(arn: string): CanonicalPrincipal {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') throw new Error(`not an ARN: ${arn}`);
  const [, partition = '', service = '', , accountId = ''] = parts;
  const resource = parts.slice(5).join(':');
  if (!PARTITIONS.has(partition)) throw new Error(`unknown AWS partition "${partition}" in ${arn}`);
  if (!/^\d{12}$/.test(accountId)) throw new Error(`account id must be 12 digits in ${arn}`);
  const segments = resource.split('/');
  const kind = segments[0];
  if (service === 'iam') {
    if (resource === 'root') return { type: 'ROOT', canonicalArn: arn, partition, accountId, name: 'root' };
    if ((kind === 'role' || kind === 'user') && segments.length >= 2 && segments.at(-1)) {
      const path = segments.length > 2 ? `/${segments.slice(1, -1).join('/')}/` : '/';
      return {
        type: kind === 'role' ? 'ROLE' : 'USER',
        canonicalArn: arn,
        partition,
        accountId,
        name: segments.at(-1) as string,
        path,
      };
    }
  } else if (service === 'sts') {
    if (kind === 'assumed-role' && segments.length >= 3) {
      const role = segments.slice(1, -1).join('/');
      return {
        type: 'ASSUMED_ROLE',
        canonicalArn: `arn:${partition}:iam::${accountId}:role/${role}`,
        partition,
        accountId,
        sessionName: segments.at(-1),
        name: role,
      };
    }
    if (kind === 'federated-user' && segments.length === 2 && segments[1]) {
      return { type: 'FEDERATED_USER', canonicalArn: arn, partition, accountId, name: segments[1] };
    }
  }
  throw new Error(`unsupported principal ARN ${arn} (expected an IAM role/user/root or an STS assumed-role)`);
}

/** The Identity Center role path that aws-auth cannot match: `aws-reserved/sso.amazonaws.com/[region/]`. */
export function isSsoRolePath(arn: string): boolean {
  return /:role\/aws-reserved\/sso\.amazonaws\.com\//i.test(arn);
}

/** The path-less role ARN aws-auth must use (what GetCallerIdentity yields after canonicalisation). */
export function stripRolePath(arn: string): string {
  const m = /^(arn:[^:]+:iam::\d{12}:role\/)(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? `${m[1]}${m[2]}` : arn;
}

// ---------------------------------------------------------------------------------------------------------------
// aws-auth

export interface AwsAuthMapping {
  arn: string;
  username: string;
  groups: string[];
  /** 1-based line in the source file, when known. */
  line?: number;
  /** Position of the entry in its list (0-based). */
  index: number;
}

export interface AwsAuth {
  mapRoles: AwsAuthMapping[];
  mapUsers: AwsAuthMapping[];
  mapAccounts: string[];
  problems: InputProblem[];
  file?: string;
  line?: number;
}

function entriesOf(value: unknown, key: string, file: string | undefined, problems: InputProblem[]): unknown[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') {
    const t = value.trim();
    if (t === '' || t === '""' || t === "''" || t === '``') return [];
    try {
      const parsed = parseYaml(value);
      if (parsed === null || parsed === undefined) return [];
      if (!Array.isArray(parsed)) {
        problems.push({
          level: 'error',
          file,
          field: `data.${key}`,
          message: 'must be a YAML list; whole key ignored',
        });
        return [];
      }
      return parsed;
    } catch (err) {
      problems.push({
        level: 'error',
        file,
        field: `data.${key}`,
        message: `not valid YAML (${(err as Error).message.split('\n')[0]}); EKS ignores the whole key`,
      });
      return [];
    }
  }
  if (Array.isArray(value)) return value;
  problems.push({ level: 'error', file, field: `data.${key}`, message: 'must be a YAML string holding a list' });
  return [];
}

/** Line of the `key:` inside a block string, to point findings at the exact entry. */
function lineOfArn(sourceText: string | undefined, arn: string, baseLine: number | undefined): number | undefined {
  if (!sourceText || baseLine === undefined) return undefined;
  const lines = sourceText.split('\n');
  for (let i = baseLine - 1; i < lines.length; i++) if (lines[i]?.includes(arn)) return i + 1;
  return undefined;
}

/**
 * Reads the aws-auth ConfigMap's data. Each entry is validated on its own: a bad entry is dropped with a problem
 * and the rest still load, as the authenticator does.
 */
export function parseAwsAuth(
  data: Record<string, unknown> | undefined,
  where: { file?: string; line?: number; sourceText?: string } = {},
): AwsAuth {
  const problems: InputProblem[] = [];
  const out: AwsAuth = { mapRoles: [], mapUsers: [], mapAccounts: [], problems, file: where.file, line: where.line };
  const read = (key: 'mapRoles' | 'mapUsers', arnKey: 'rolearn' | 'userarn') => {
    entriesOf(data?.[key], key, where.file, problems).forEach((e, index) => {
      const field = `data.${key}[${index}]`;
      if (typeof e !== 'object' || e === null || Array.isArray(e)) {
        problems.push({ level: 'error', file: where.file, field, message: 'entry must be a map; ignored' });
        return;
      }
      const entry = e as Record<string, unknown>;
      const arn = entry[arnKey];
      if (typeof arn !== 'string' || arn === '') {
        problems.push({ level: 'error', file: where.file, field, message: `missing ${arnKey}; entry ignored` });
        return;
      }
      const groups = entry.groups ?? [];
      if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) {
        problems.push({
          level: 'error',
          file: where.file,
          field: `${field}.groups`,
          message: 'must be a list of strings; entry ignored',
        });
        return;
      }
      const username = typeof entry.username === 'string' ? entry.username : '';
      out[key].push({
        arn,
        username,
        groups: groups as string[],
        index,
        line: lineOfArn(where.sourceText, arn, where.line),
      });
    });
  };
  read('mapRoles', 'rolearn');
  read('mapUsers', 'userarn');
  for (const [i, a] of entriesOf(data?.mapAccounts, 'mapAccounts', where.file, problems).entries()) {
    const id = typeof a === 'number' ? String(a).padStart(12, '0') : a;
    if (typeof id === 'string' && /^\d{12}$/.test(id)) out.mapAccounts.push(id);
    else
      problems.push({
        level: 'error',
        file: where.file,
        field: `data.mapAccounts[${i}]`,
        message: 'not a 12-digit account id',
      });
  }
  return out;
}

export interface IdentityMapping {
  username: string;
  groups: string[];
}

export type AwsAuthResult =
  | {
      result: 'mapped';
      username: string;
      groups: string[];
      via: 'mapRoles' | 'mapUsers' | 'mapAccounts';
      entry?: AwsAuthMapping;
    }
  | { result: 'unauthorized'; reason: string };

export interface TemplateContext {
  accountId: string;
  sessionName?: string;
  accessKeyId?: string;
  /** Resolved EC2 private DNS names by instance id; unresolved ones render as `<PrivateDnsName of i-…>`. */
  privateDnsNames?: Record<string, string>;
}

const INSTANCE_ID = /^i-(\w{8}|\w{17})$/;

/** Renders `{{AccountID}}`, `{{SessionName}}` (`@` → `-`), `{{SessionNameRaw}}`, `{{AccessKeyID}}`, `{{EC2PrivateDNSName}}`. */
export function renderTemplate(template: string, ctx: TemplateContext): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    switch (name) {
      case 'AccountID':
        return ctx.accountId;
      case 'SessionName':
        return ctx.sessionName === undefined ? whole : ctx.sessionName.replaceAll('@', '-');
      case 'SessionNameRaw':
        return ctx.sessionName ?? whole;
      case 'AccessKeyID':
        return ctx.accessKeyId ?? whole;
      case 'EC2PrivateDNSName': {
        const s = ctx.sessionName;
        if (s === undefined) return whole;
        if (!INSTANCE_ID.test(s)) throw new Error(`session name "${s}" is not an EC2 instance id`);
        return ctx.privateDnsNames?.[s] ?? `<PrivateDnsName of ${s}>`;
      }
      default:
        return whole;
    }
  });
}

function lastByArn(list: AwsAuthMapping[]): Map<string, AwsAuthMapping> {
  const m = new Map<string, AwsAuthMapping>();
  for (const e of list) m.set(e.arn.toLowerCase(), e);
  return m;
}

/** Maps a caller ARN through aws-auth: roles, then users, then accounts; exact case-insensitive ARN, no wildcards. */
export function mapAwsAuth(awsAuth: AwsAuth, callerArn: string, extra: Partial<TemplateContext> = {}): AwsAuthResult {
  let p: CanonicalPrincipal;
  try {
    p = canonicalizeArn(callerArn);
  } catch (err) {
    return { result: 'unauthorized', reason: (err as Error).message };
  }
  const key = p.canonicalArn.toLowerCase();
  const ctx: TemplateContext = { accountId: p.accountId, sessionName: p.sessionName, ...extra };
  const render = (entry: AwsAuthMapping, via: 'mapRoles' | 'mapUsers'): AwsAuthResult => {
    try {
      return {
        result: 'mapped',
        username: renderTemplate(entry.username, ctx),
        groups: entry.groups.map((g) => renderTemplate(g, ctx)),
        via,
        entry,
      };
    } catch (err) {
      return { result: 'unauthorized', reason: (err as Error).message };
    }
  };
  const role = lastByArn(awsAuth.mapRoles).get(key);
  if (role) return render(role, 'mapRoles');
  const user = lastByArn(awsAuth.mapUsers).get(key);
  if (user) return render(user, 'mapUsers');
  if (awsAuth.mapAccounts.includes(p.accountId))
    return { result: 'mapped', username: p.canonicalArn, groups: [], via: 'mapAccounts' };
  const hint = awsAuth.mapRoles.find((e) => isSsoRolePath(e.arn) && stripRolePath(e.arn).toLowerCase() === key);
  return {
    result: 'unauthorized',
    reason: hint
      ? `aws-auth maps ${hint.arn} with its path; aws-auth only matches the path-less ARN ${stripRolePath(hint.arn)}`
      : `${p.canonicalArn} is not in aws-auth`,
  };
}

/** user.Info as RBAC sees an authenticated IAM principal (the API server appends system:authenticated). */
export function iamUserInfo(
  mapping: IdentityMapping,
  identity: { accountId: string; userId: string; sessionName?: string },
): { username: string; groups: string[]; uid: string; extraKeys: string[] } {
  return {
    username: mapping.username,
    groups: [...mapping.groups.filter((g) => g !== SYSTEM_AUTHENTICATED), SYSTEM_AUTHENTICATED],
    uid: `aws-iam-authenticator:${identity.accountId}:${identity.userId}`,
    extraKeys: [
      'arn',
      'canonicalArn',
      'sessionName',
      'accessKeyId',
      'principalId',
      'sigs.k8s.io/aws-iam-authenticator/principalId',
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Access entries

export const ACCESS_ENTRY_TYPES = [
  'STANDARD',
  'EC2_LINUX',
  'EC2_WINDOWS',
  'FARGATE_LINUX',
  'HYBRID_LINUX',
  'EC2',
] as const;

export interface AccessScope {
  type: 'cluster' | 'namespace';
  namespaces?: string[];
}

export interface AssociatedAccessPolicy {
  policyArn: string;
  accessScope: AccessScope;
}

export interface AccessEntry {
  principalArn: string;
  type: string;
  username?: string;
  kubernetesGroups: string[];
  policies: AssociatedAccessPolicy[];
  origin?: { file?: string };
}

/** The username EKS gives an entry when none is set. */
export function defaultAccessEntryUsername(principalArn: string, type = 'STANDARD'): string {
  if (type.startsWith('EC2')) return 'system:node:{{EC2PrivateDNSName}}';
  if (type === 'FARGATE_LINUX' || type === 'HYBRID_LINUX') return 'system:node:{{SessionName}}';
  const p = canonicalizeArn(principalArn);
  if (p.type === 'ROLE') return `arn:${p.partition}:sts::${p.accountId}:assumed-role/${p.name}/{{SessionName}}`;
  return principalArn;
}

export function accessEntryCapabilities(type: string): {
  kubernetesGroupsAllowed: boolean;
  accessPoliciesAllowed: boolean;
} {
  const standard = type === 'STANDARD';
  return { kubernetesGroupsAllowed: standard, accessPoliciesAllowed: standard };
}

/** Custom usernames: no reserved prefixes; `{{SessionName}}` needs a `:` somewhere before it. */
export function validateAccessEntryUsername(username: string): string | undefined {
  for (const prefix of ['system:', 'eks:', 'aws:', 'amazon:', 'iam:'])
    if (username.startsWith(prefix)) return `username must not start with "${prefix}"`;
  const at = username.indexOf('{{SessionName}}');
  if (at >= 0 && !username.slice(0, at).includes(':')) return 'a ":" must come before {{SessionName}}';
  return undefined;
}

/** Create-time validation of an access entry; returns the problems (empty = valid). */
export function validateAccessEntry(input: {
  principalArn?: string;
  type?: string;
  principalAccount?: string;
  clusterAccount?: string;
  username?: string;
}): string[] {
  const problems: string[] = [];
  const type = input.type ?? 'STANDARD';
  let account = input.principalAccount;
  if (input.principalArn) {
    if (/:role\/aws-service-role\//.test(input.principalArn))
      problems.push('service-linked roles cannot have access entries');
    try {
      account ??= canonicalizeArn(input.principalArn).accountId;
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (type !== 'STANDARD' && account && input.clusterAccount && account !== input.clusterAccount)
    problems.push(`${type} entries must be in the cluster's account ${input.clusterAccount}`);
  if (input.username !== undefined) {
    const u = validateAccessEntryUsername(input.username);
    if (u) problems.push(u);
  }
  return problems;
}

/**
 * Does an access entry match the caller? EKS matches by IAM principal ID: a role's entry (path or not) matches any
 * session of that role; an entry created before the role was deleted and re-created no longer matches.
 */
export function accessEntryMatches(
  entryPrincipalArn: string,
  callerArn: string,
  options: { principalRecreated?: boolean } = {},
): boolean {
  if (options.principalRecreated) return false;
  try {
    const entry = canonicalizeArn(entryPrincipalArn);
    const caller = canonicalizeArn(callerArn);
    if (entry.accountId !== caller.accountId || entry.partition !== caller.partition) return false;
    if (entry.type === 'ROLE' && (caller.type === 'ASSUMED_ROLE' || caller.type === 'ROLE'))
      return entry.name.toLowerCase() === caller.name.split('/').at(-1)?.toLowerCase();
    return entry.canonicalArn.toLowerCase() === caller.canonicalArn.toLowerCase();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Authentication modes

export const AUTHENTICATION_MODES = ['CONFIG_MAP', 'API_AND_CONFIG_MAP', 'API'] as const;
export type AuthenticationMode = (typeof AUTHENTICATION_MODES)[number];

export type AuthenticationResult =
  | { result: 'authenticated'; source: 'accessEntry' | 'awsAuth'; username: string; groups: string[] }
  | { result: 'unauthorized'; reason: string };

/** Which mapping EKS uses: in API_AND_CONFIG_MAP the access entry wins; API ignores aws-auth; CONFIG_MAP ignores entries. */
export function resolveAuthentication(
  mode: AuthenticationMode,
  accessEntry: { username: string; kubernetesGroups?: string[] } | null | undefined,
  awsAuth: IdentityMapping | null | undefined,
): AuthenticationResult {
  const entriesOn = mode !== 'CONFIG_MAP';
  const configMapOn = mode !== 'API';
  if (entriesOn && accessEntry)
    return {
      result: 'authenticated',
      source: 'accessEntry',
      username: accessEntry.username,
      groups: accessEntry.kubernetesGroups ?? [],
    };
  if (configMapOn && awsAuth)
    return { result: 'authenticated', source: 'awsAuth', username: awsAuth.username, groups: awsAuth.groups };
  if (!entriesOn && accessEntry) return { result: 'unauthorized', reason: 'CONFIG_MAP mode ignores access entries' };
  if (!configMapOn && awsAuth) return { result: 'unauthorized', reason: 'API mode ignores aws-auth' };
  return { result: 'unauthorized', reason: 'no access entry or aws-auth mapping' };
}

/** Modes only move forward: CONFIG_MAP → API_AND_CONFIG_MAP → API. */
export function authenticationModeTransitionAllowed(from: AuthenticationMode, to: AuthenticationMode): boolean {
  return AUTHENTICATION_MODES.indexOf(to) >= AUTHENTICATION_MODES.indexOf(from);
}

// ---------------------------------------------------------------------------------------------------------------
// Access policies

/** Namespace-scoped associations never cover cluster-scoped requests; names may end in `*`. */
export function accessScopeIncludes(scope: AccessScope, namespace: string): boolean {
  if (scope.type === 'cluster') return true;
  if (namespace === '') return false;
  return (scope.namespaces ?? []).some((pattern) =>
    pattern.endsWith('*') ? namespace.startsWith(pattern.slice(0, -1)) : pattern === namespace,
  );
}

export type AccessPolicyDecision = { allowed: boolean; rule?: PolicyRule; unknown?: string };

/** One associated access policy against one request (the EKS webhook authorizer). */
export function accessPolicyAllows(
  policyArn: string,
  scope: AccessScope,
  request: RequestAttributes,
): AccessPolicyDecision {
  const namespace = request.resourceRequest ? request.namespace : '';
  if (!accessScopeIncludes(scope, namespace)) return { allowed: false };
  const rules = accessPolicyRules(policyArn);
  if (rules === undefined) return { allowed: false, unknown: `access policy ${policyArn} is not known to Rampart` };
  if (rules === null) return { allowed: false, unknown: `access policy ${policyArn} has no documented rule table` };
  const rule = rules.find((r) => ruleAllows(request, r));
  return rule ? { allowed: true, rule } : { allowed: false };
}
