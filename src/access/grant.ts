import { stringify as stringifyYaml } from 'yaml';
import { UsageError } from '../core/index.js';
import { buildSnapshot } from '../inputs/index.js';
import { accessPolicyRules } from './access-policies.js';
import { type AccessEntry, canonicalizeArn, stripRolePath } from './identity.js';
import { buildAccessModel, resolveIdentity } from './model.js';
import { covers, type PolicyRule, SYSTEM_MASTERS } from './rbac.js';

/**
 * `rampart access grant`: what to apply so that one IAM principal gets view/edit/admin in one namespace — a Role
 * and RoleBinding for a dedicated group, plus the access-entry request or the aws-auth entry (path-less role ARN)
 * that puts the principal in that group — and a proof, by the same engine that answers can-i, that the result
 * grants exactly those rules in that namespace and nothing anywhere else.
 */
export const GRANT_LEVELS = {
  view: 'AmazonEKSViewPolicy',
  edit: 'AmazonEKSEditPolicy',
  admin: 'AmazonEKSAdminPolicy',
} as const;
export type GrantLevel = keyof typeof GRANT_LEVELS;

export interface GrantOptions {
  iamArn: string;
  namespace: string;
  role: GrantLevel;
  via: 'access-entry' | 'aws-auth';
  clusterName?: string;
}

export interface GrantPlan {
  group: string;
  username: string;
  manifests: Record<string, unknown>[];
  /** `aws eks create-access-entry …` or the aws-auth mapRoles/mapUsers entry to add. */
  identityChange: string;
  proof: { ok: boolean; checks: string[] };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The Kubernetes rules of a level: the namespaced part of the matching EKS access policy (its documented table). */
export function grantRules(level: GrantLevel): PolicyRule[] {
  const rules = accessPolicyRules(GRANT_LEVELS[level]);
  if (!rules) throw new Error(`no rule table for ${GRANT_LEVELS[level]}`);
  return rules.filter((r) => !r.nonResourceURLs?.length);
}

export function planGrant(opts: GrantOptions): GrantPlan {
  if (!(opts.role in GRANT_LEVELS)) throw new UsageError(`--role ${opts.role}: expected view, edit or admin`);
  if (!DNS_LABEL.test(opts.namespace) || opts.namespace.length > 63)
    throw new UsageError(`--namespace ${opts.namespace}: not a valid namespace name`);
  let principal: ReturnType<typeof canonicalizeArn>;
  try {
    principal = canonicalizeArn(opts.iamArn);
  } catch (err) {
    throw new UsageError(`--iam-arn: ${(err as Error).message}`);
  }
  if (principal.type !== 'ROLE' && principal.type !== 'USER' && principal.type !== 'ASSUMED_ROLE')
    throw new UsageError('--iam-arn must be an IAM role or user ARN');
  const isRole = principal.type !== 'USER';
  const iamArn = principal.type === 'ASSUMED_ROLE' ? principal.canonicalArn : opts.iamArn;
  const shortName = principal.name.split('/').at(-1) as string;
  const group = `rampart:${opts.namespace}:${opts.role}`;
  const username = isRole ? `${shortName}:{{SessionName}}` : shortName;
  const roleName = `rampart-${opts.role}`;
  const rules = grantRules(opts.role);
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: roleName, namespace: opts.namespace, labels: { 'app.kubernetes.io/managed-by': 'rampart' } },
    rules,
  };
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: {
      name: `${roleName}-${shortName.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63),
      namespace: opts.namespace,
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
    subjects: [{ kind: 'Group', name: group, apiGroup: 'rbac.authorization.k8s.io' }],
  };
  const manifests: Record<string, unknown>[] = [role, binding];
  let identityChange: string;
  const aws: AccessEntry[] = [];
  if (opts.via === 'access-entry') {
    const cluster = opts.clusterName ?? '<cluster-name>';
    identityChange = [
      `aws eks create-access-entry --cluster-name ${cluster} --principal-arn ${iamArn} --type STANDARD \\`,
      `  --kubernetes-groups ${group} --username '${username}'`,
      '# (access entries accept the full role ARN, path included; no access policy is associated: RBAC above grants)',
    ].join('\n');
    aws.push({ principalArn: iamArn, type: 'STANDARD', username, kubernetesGroups: [group], policies: [] });
  } else {
    const arnKey = isRole ? 'rolearn' : 'userarn';
    const mapped = isRole ? stripRolePath(iamArn) : iamArn;
    const entry = [{ [arnKey]: mapped, username, groups: [group] }];
    const note =
      mapped !== iamArn ? `# the role path was removed: aws-auth only matches ${mapped}, never ${iamArn}\n` : '';
    identityChange = `${note}# add to data.${isRole ? 'mapRoles' : 'mapUsers'} of kube-system/aws-auth:\n${stringifyYaml(entry)}`;
    manifests.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'aws-auth', namespace: 'kube-system' },
      data: { [isRole ? 'mapRoles' : 'mapUsers']: stringifyYaml(entry) },
    });
  }
  const proof = proveGrant(manifests, aws, opts, iamArn, isRole, rules);
  // The proof uses an aws-auth ConfigMap holding only the new entry; print only the Role and RoleBinding to apply.
  return { group, username, manifests: manifests.slice(0, 2), identityChange, proof };
}

function proveGrant(
  manifests: Record<string, unknown>[],
  entries: AccessEntry[],
  opts: GrantOptions,
  iamArn: string,
  isRole: boolean,
  rules: PolicyRule[],
): { ok: boolean; checks: string[] } {
  const snapshot = buildSnapshot(
    manifests.map((object, i) => ({ object, source: { file: '<grant>', line: i + 1, documentIndex: i } })),
  );
  const model = buildAccessModel(
    snapshot,
    entries.length ? { dir: '<grant>', accessEntries: entries, problems: [] } : undefined,
  );
  const caller = isRole
    ? (() => {
        const p = canonicalizeArn(iamArn);
        return `arn:${p.partition}:sts::${p.accountId}:assumed-role/${p.name.split('/').at(-1)}/rampart-proof`;
      })()
    : iamArn;
  const identity = resolveIdentity(model, caller);
  const checks: string[] = [];
  let ok = true;
  const check = (cond: boolean, text: string) => {
    checks.push(`${cond ? 'ok  ' : 'FAIL'} ${text}`);
    ok &&= cond;
  };
  check(
    identity.authenticated,
    `${caller} authenticates as ${identity.user.name} with groups ${identity.user.groups.join(', ')}`,
  );
  check(!identity.user.groups.includes(SYSTEM_MASTERS), 'not in system:masters');
  const held = model.rbac.rulesFor(identity.user, opts.namespace);
  check(covers(held, rules).covered, `holds every rule of ${opts.role} in namespace ${opts.namespace}`);
  check(covers(rules, held).covered, `holds nothing beyond ${opts.role} in namespace ${opts.namespace}`);
  check(
    model.rbac.rulesFor(identity.user, '').length === 0,
    'holds nothing cluster-wide (no cluster-scoped resources, no URLs)',
  );
  const other = opts.namespace === 'rampart-other' ? 'rampart-another' : 'rampart-other';
  check(model.rbac.rulesFor(identity.user, other).length === 0, 'holds nothing in any other namespace');
  return { ok, checks };
}

export function formatGrant(plan: GrantPlan): string {
  const docs = plan.manifests.map((m) => stringifyYaml(m, { lineWidth: 0 })).join('---\n');
  return [
    `# Kubernetes identity: user "${plan.username}", group "${plan.group}"`,
    '# 1. kubectl apply -f - <<EOF',
    docs.trimEnd(),
    '# EOF',
    '# 2. map the IAM principal to the group:',
    plan.identityChange.trimEnd(),
    '# 3. proof (Rampart RBAC engine, same code as can-i):',
    ...plan.proof.checks.map((c) => `#   ${c}`),
    '',
  ].join('\n');
}
