import { readFileSync } from 'node:fs';
import type { InputProblem } from '../core/index.js';
import type { LoadedObject, Snapshot } from '../inputs/index.js';
import { accessPolicyRules } from './access-policies.js';
import type { AwsSnapshot } from './aws-snapshot.js';
import {
  type AccessEntry,
  type AuthenticationMode,
  type AwsAuth,
  type AwsAuthMapping,
  accessEntryMatches,
  accessPolicyAllows,
  canonicalizeArn,
  defaultAccessEntryUsername,
  isSsoRolePath,
  mapAwsAuth,
  parseAwsAuth,
  renderTemplate,
  resolveAuthentication,
} from './identity.js';
import {
  type Origin,
  type PolicyRule,
  parseServiceAccountUsername,
  type RbacBinding,
  RbacIndex,
  type RbacPolicy,
  type RbacReason,
  type RbacRole,
  type RequestAttributes,
  ruleAllows,
  type Subject,
  SYSTEM_ANONYMOUS,
  SYSTEM_AUTHENTICATED,
  SYSTEM_MASTERS,
  SYSTEM_UNAUTHENTICATED,
  serviceAccountGroups,
  subjectAppliesTo,
  type UserInfo,
} from './rbac.js';

/**
 * Everything Rampart knows about who may do what in one cluster: RBAC from the snapshot, aws-auth, and the access
 * entries of an optional AWS snapshot, with the authentication mode that decides which of the two counts.
 */
export interface AccessModel {
  rbac: RbacIndex;
  awsAuth?: AwsAuth;
  aws?: AwsSnapshot;
  mode: AuthenticationMode;
  /** How the mode was learnt: from DescribeCluster, or assumed from the data present. */
  modeSource: 'DescribeCluster' | 'assumed';
  problems: InputProblem[];
}

const RBAC_GROUP = 'rbac.authorization.k8s.io/';
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function originOf(o: LoadedObject): Origin {
  return { file: o.source.file, line: o.source.line };
}

function rulesOf(o: LoadedObject, problems: InputProblem[]): PolicyRule[] {
  const raw = o.raw.rules;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.push({
      level: 'error',
      file: o.source.file,
      line: o.source.line,
      field: 'rules',
      message: 'must be a list',
    });
    return [];
  }
  const rules: PolicyRule[] = [];
  raw.forEach((r, i) => {
    if (!isObj(r) || !Array.isArray(r.verbs)) {
      problems.push({
        level: 'error',
        file: o.source.file,
        line: o.source.line,
        field: `rules[${i}].verbs`,
        message: `${o.kind} ${o.name}: a rule needs a verbs list; rule ignored`,
      });
      return;
    }
    rules.push({
      verbs: strings(r.verbs),
      apiGroups: strings(r.apiGroups),
      resources: strings(r.resources),
      resourceNames: strings(r.resourceNames),
      nonResourceURLs: strings(r.nonResourceURLs),
    });
  });
  return rules;
}

function bindingOf(o: LoadedObject, problems: InputProblem[]): RbacBinding | undefined {
  const ref = o.raw.roleRef;
  if (!isObj(ref) || typeof ref.kind !== 'string' || typeof ref.name !== 'string') {
    problems.push({
      level: 'error',
      file: o.source.file,
      line: o.source.line,
      field: 'roleRef',
      message: `${o.kind} ${o.name}: roleRef needs kind and name`,
    });
    return undefined;
  }
  const subjects: Subject[] = [];
  for (const s of Array.isArray(o.raw.subjects) ? o.raw.subjects : []) {
    if (isObj(s) && typeof s.kind === 'string' && typeof s.name === 'string')
      subjects.push({
        kind: s.kind,
        name: s.name,
        namespace: typeof s.namespace === 'string' ? s.namespace : undefined,
        apiGroup: typeof s.apiGroup === 'string' ? s.apiGroup : undefined,
      });
  }
  return {
    name: o.name,
    namespace: o.kind === 'RoleBinding' ? o.namespace : undefined,
    roleRef: { kind: ref.kind, name: ref.name, apiGroup: typeof ref.apiGroup === 'string' ? ref.apiGroup : undefined },
    subjects,
    origin: originOf(o),
  };
}

/** RBAC objects of a snapshot as plain policy data. */
export function rbacPolicyFromSnapshot(snapshot: Snapshot, problems: InputProblem[] = []): RbacPolicy {
  const rbac = (o: LoadedObject) => o.apiVersion.startsWith(RBAC_GROUP);
  const role = (o: LoadedObject): RbacRole => ({
    name: o.name,
    namespace: o.kind === 'Role' ? o.namespace : undefined,
    labels: o.labels,
    rules: rulesOf(o, problems),
    aggregationRule: isObj(o.raw.aggregationRule) ? (o.raw.aggregationRule as RbacRole['aggregationRule']) : undefined,
    origin: originOf(o),
  });
  const bindings = (kind: string) =>
    snapshot
      .ofKind(kind)
      .filter(rbac)
      .map((o) => bindingOf(o, problems))
      .filter((b): b is RbacBinding => b !== undefined);
  return {
    roles: snapshot.ofKind('Role').filter(rbac).map(role),
    clusterRoles: snapshot.ofKind('ClusterRole').filter(rbac).map(role),
    roleBindings: bindings('RoleBinding'),
    clusterRoleBindings: bindings('ClusterRoleBinding'),
  };
}

function readTextQuietly(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function buildAccessModel(snapshot: Snapshot, aws?: AwsSnapshot): AccessModel {
  const problems: InputProblem[] = [...snapshot.problems, ...(aws?.problems ?? [])];
  const rbac = new RbacIndex(rbacPolicyFromSnapshot(snapshot, problems));
  const cm = snapshot.get('ConfigMap', 'kube-system', 'aws-auth');
  let awsAuth: AwsAuth | undefined;
  if (cm) {
    awsAuth = parseAwsAuth(isObj(cm.raw.data) ? cm.raw.data : undefined, {
      file: cm.source.file,
      line: cm.source.line,
      sourceText: readTextQuietly(cm.source.file),
    });
    problems.push(...awsAuth.problems.map((p) => ({ ...p, line: p.line ?? cm.source.line })));
  }
  const described = aws?.cluster?.authenticationMode;
  const mode: AuthenticationMode =
    described ?? (aws && aws.accessEntries.length > 0 ? 'API_AND_CONFIG_MAP' : 'CONFIG_MAP');
  return { rbac, awsAuth, aws, mode, modeSource: described ? 'DescribeCluster' : 'assumed', problems };
}

// ---------------------------------------------------------------------------------------------------------------
// Authentication: who is the caller in Kubernetes?

export interface ResolvedIdentity {
  authenticated: boolean;
  user: UserInfo;
  source: 'kubernetes' | 'accessEntry' | 'awsAuth' | 'none';
  principalArn?: string;
  accessEntry?: AccessEntry;
  awsAuthEntry?: AwsAuthMapping;
  /** Why it resolved this way, as lines for people. */
  notes: string[];
}

function templatePattern(username: string): RegExp | undefined {
  if (!username.includes('{{')) return undefined;
  const parts = username.split(/\{\{\w+\}\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`);
}

function withGroups(name: string, groups: string[], explicitGroups: string[] | undefined): UserInfo {
  const g = explicitGroups ?? [...groups.filter((x) => x !== SYSTEM_AUTHENTICATED), SYSTEM_AUTHENTICATED];
  const namePattern = templatePattern(name);
  return namePattern ? { name, groups: g, namePattern } : { name, groups: g };
}

/**
 * Resolves `--as`: an IAM ARN goes through access entries and aws-auth under the cluster's authentication mode;
 * anything else is a Kubernetes username. `asGroups` replaces the groups authentication would give.
 */
export function resolveIdentity(model: AccessModel, as: string, asGroups?: string[]): ResolvedIdentity {
  if (!as.startsWith('arn:')) {
    if (as === SYSTEM_ANONYMOUS)
      return {
        authenticated: false,
        user: { name: as, groups: asGroups ?? [SYSTEM_UNAUTHENTICATED] },
        source: 'kubernetes',
        notes: [],
      };
    const sa = parseServiceAccountUsername(as);
    const groups = asGroups ?? (sa ? serviceAccountGroups(sa.namespace) : [SYSTEM_AUTHENTICATED]);
    return { authenticated: true, user: { name: as, groups }, source: 'kubernetes', notes: [] };
  }
  const principal = canonicalizeArn(as);
  const notes: string[] = [];
  const entry = model.aws?.accessEntries.find((e) => accessEntryMatches(e.principalArn, as));
  let entryMapping: { username: string; kubernetesGroups: string[] } | undefined;
  if (entry) {
    const template = entry.username ?? defaultAccessEntryUsername(entry.principalArn, entry.type);
    entryMapping = {
      username: renderTemplate(template, { accountId: principal.accountId, sessionName: principal.sessionName }),
      kubernetesGroups: entry.kubernetesGroups,
    };
  }
  const cm = model.awsAuth ? mapAwsAuth(model.awsAuth, as) : undefined;
  const awsAuthMapping = cm?.result === 'mapped' ? { username: cm.username, groups: cm.groups } : undefined;
  const r = resolveAuthentication(model.mode, entryMapping, awsAuthMapping);
  if (r.result === 'unauthorized') {
    if (cm?.result === 'unauthorized') notes.push(`aws-auth: ${cm.reason}`);
    notes.push(`${model.mode}${model.modeSource === 'assumed' ? ' (assumed)' : ''}: ${r.reason}`);
    return {
      authenticated: false,
      user: { name: SYSTEM_ANONYMOUS, groups: [] },
      source: 'none',
      principalArn: as,
      notes,
    };
  }
  if (r.source === 'accessEntry' && awsAuthMapping)
    notes.push('aws-auth also maps this principal; the access entry wins');
  return {
    authenticated: true,
    user: withGroups(r.username, r.groups, asGroups),
    source: r.source,
    principalArn: as,
    accessEntry: r.source === 'accessEntry' ? entry : undefined,
    awsAuthEntry: r.source === 'awsAuth' && cm?.result === 'mapped' ? cm.entry : undefined,
    notes,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Authorization: the EKS chain (system:masters, RBAC, access policies)

export interface AccessReason {
  via: 'system:masters' | 'rbac' | 'access-policy';
  text: string;
  file?: string;
  line?: number;
}

export interface CanIResult {
  allowed: boolean;
  request: RequestAttributes;
  identity: ResolvedIdentity;
  reasons: AccessReason[];
  /** Access policies Rampart cannot evaluate (no rule table): the answer may be incomplete. */
  unknowns: string[];
  errors: string[];
}

function ruleText(rule: PolicyRule): string {
  if (rule.nonResourceURLs?.length) return `${rule.verbs.join(',')} ${rule.nonResourceURLs.join(',')}`;
  const groups = (rule.apiGroups ?? []).map((g) => (g === '' ? 'core' : g)).join(',');
  const names = rule.resourceNames?.length ? ` [${rule.resourceNames.join(',')}]` : '';
  return `${rule.verbs.join(',')} ${(rule.resources ?? []).join(',')}${names} (${groups})`;
}

export function rbacReasonText(r: RbacReason): AccessReason {
  if (r.via === 'system:masters') return { via: 'system:masters', text: 'member of system:masters (bypasses RBAC)' };
  const b = r.binding as RbacBinding;
  const kind = b.namespace ? `RoleBinding ${b.namespace}/${b.name}` : `ClusterRoleBinding ${b.name}`;
  const s = r.subject ? ` for ${r.subject.kind} ${r.subject.name}` : '';
  return {
    via: 'rbac',
    text: `${kind}${s} → ${b.roleRef.kind} ${b.roleRef.name}: ${r.rule ? ruleText(r.rule) : ''}`,
    file: b.origin?.file,
    line: b.origin?.line,
  };
}

/** Access policies of an access entry that allow the request, with those that cannot be evaluated. */
function entryPolicyDecision(
  entry: AccessEntry,
  request: RequestAttributes,
): { reasons: AccessReason[]; unknowns: string[] } {
  const reasons: AccessReason[] = [];
  const unknowns: string[] = [];
  if (entry.type !== 'STANDARD') return { reasons, unknowns };
  for (const p of entry.policies) {
    const d = accessPolicyAllows(p.policyArn, p.accessScope, request);
    if (d.unknown) unknowns.push(d.unknown);
    if (d.allowed) {
      const scope =
        p.accessScope.type === 'cluster' ? 'cluster' : `namespaces ${(p.accessScope.namespaces ?? []).join(',')}`;
      reasons.push({
        via: 'access-policy',
        text: `access entry ${entry.principalArn} → ${p.policyArn.split('/').at(-1)} (${scope}): ${d.rule ? ruleText(d.rule) : ''}`,
        file: entry.origin?.file,
      });
    }
  }
  return { reasons, unknowns };
}

/** `kubectl auth can-i` over files, EKS-aware: masters, RBAC, then the caller's access policies. */
export function canI(model: AccessModel, as: string, request: RequestAttributes, asGroups?: string[]): CanIResult {
  const identity = resolveIdentity(model, as, asGroups);
  const result: CanIResult = { allowed: false, request, identity, reasons: [], unknowns: [], errors: [] };
  if (identity.source === 'none') return result;
  if (identity.user.groups.includes(SYSTEM_MASTERS)) {
    result.allowed = true;
    result.reasons.push(rbacReasonText({ via: 'system:masters' }));
    return result;
  }
  const d = model.rbac.authorize(identity.user, request);
  result.errors.push(...d.errors);
  if (d.allowed && d.reason) result.reasons.push(rbacReasonText(d.reason));
  // Impersonating with explicit groups drops access-policy permissions, as on EKS.
  if (identity.accessEntry && asGroups === undefined) {
    const p = entryPolicyDecision(identity.accessEntry, request);
    result.reasons.push(...p.reasons);
    result.unknowns.push(...p.unknowns);
  }
  result.allowed = result.reasons.length > 0;
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// who-can: invert the chain

export interface IamLink {
  principalArn: string;
  via: 'aws-auth mapRoles' | 'aws-auth mapUsers' | 'aws-auth mapAccounts' | 'access entry';
  file?: string;
  line?: number;
  /** Set when the mapping cannot take effect (path in aws-auth, mode ignores it, shadowed duplicate). */
  inactive?: string;
}

export interface WhoCanRow {
  subject: Subject;
  reason: AccessReason;
  iam: IamLink[];
}

export interface WhoCanResult {
  request: RequestAttributes;
  rows: WhoCanRow[];
  /** Access entries allowed directly by their access policies. */
  accessPolicies: Array<{ principalArn: string; reason: AccessReason }>;
  unknowns: string[];
  errors: string[];
}

function matchesUsername(template: string, username: string): boolean {
  const pattern = templatePattern(template);
  return pattern ? pattern.test(username) : template === username;
}

/** The IAM principals whose Kubernetes identity a subject names (through aws-auth and access entries). */
export function iamPrincipalsFor(model: AccessModel, subject: Subject): IamLink[] {
  const links: IamLink[] = [];
  if (subject.kind !== 'User' && subject.kind !== 'Group') return links;
  const configMapOn = model.mode !== 'API';
  const entriesOn = model.mode !== 'CONFIG_MAP';
  const entryArns = new Set((model.aws?.accessEntries ?? []).map((e) => e.principalArn.toLowerCase()));
  const auth = model.awsAuth;
  if (auth) {
    const lists: Array<['aws-auth mapRoles' | 'aws-auth mapUsers', AwsAuthMapping[]]> = [
      ['aws-auth mapRoles', auth.mapRoles],
      ['aws-auth mapUsers', auth.mapUsers],
    ];
    for (const [via, list] of lists) {
      const lastIndex = new Map<string, number>();
      for (const e of list) lastIndex.set(e.arn.toLowerCase(), e.index);
      for (const e of list) {
        const hit =
          subject.kind === 'Group' ? e.groups.includes(subject.name) : matchesUsername(e.username, subject.name);
        if (!hit) continue;
        let inactive: string | undefined;
        if (!configMapOn) inactive = 'authentication mode API ignores aws-auth';
        else if (via === 'aws-auth mapRoles' && isSsoRolePath(e.arn))
          inactive = 'role ARN has a path; aws-auth never matches it';
        else if (lastIndex.get(e.arn.toLowerCase()) !== e.index)
          inactive = 'shadowed by a later entry for the same ARN';
        else if (entriesOn && entryArns.has(e.arn.toLowerCase())) inactive = 'an access entry for this principal wins';
        links.push({ principalArn: e.arn, via, file: auth.file, line: e.line ?? auth.line, inactive });
      }
    }
    if (subject.kind === 'User' && configMapOn) {
      try {
        const p = canonicalizeArn(subject.name);
        if (auth.mapAccounts.includes(p.accountId))
          links.push({ principalArn: subject.name, via: 'aws-auth mapAccounts', file: auth.file, line: auth.line });
      } catch {
        // not an ARN username: mapAccounts cannot produce it
      }
    }
  }
  for (const e of model.aws?.accessEntries ?? []) {
    const username = e.username ?? defaultAccessEntryUsername(e.principalArn, e.type);
    const hit =
      subject.kind === 'Group' ? e.kubernetesGroups.includes(subject.name) : matchesUsername(username, subject.name);
    if (hit)
      links.push({
        principalArn: e.principalArn,
        via: 'access entry',
        file: e.origin?.file,
        inactive: entriesOn ? undefined : 'authentication mode CONFIG_MAP ignores access entries',
      });
  }
  return links;
}

/** Every subject (and IAM principal behind it) that may make the request. */
export function whoCan(model: AccessModel, request: RequestAttributes): WhoCanResult {
  const result: WhoCanResult = { request, rows: [], accessPolicies: [], unknowns: [], errors: [] };
  const masters: Subject = { kind: 'Group', name: SYSTEM_MASTERS };
  result.rows.push({
    subject: masters,
    reason: rbacReasonText({ via: 'system:masters' }),
    iam: iamPrincipalsFor(model, masters),
  });
  const namespace = request.resourceRequest ? request.namespace : '';
  const consider = (b: RbacBinding, ns: string) => {
    const role = model.rbac.resolveRoleRef(b.roleRef, ns);
    if (!role) {
      result.errors.push(
        `${b.namespace ? `rolebinding ${b.namespace}/` : 'clusterrolebinding '}${b.name}: ${b.roleRef.kind} ${b.roleRef.name} not found`,
      );
      return;
    }
    const rule = role.rules.find((r) => ruleAllows(request, r));
    if (!rule) return;
    for (const subject of b.subjects) {
      const s = subject.kind === 'ServiceAccount' && !subject.namespace ? { ...subject, namespace: ns } : subject;
      if (s.kind === 'ServiceAccount' && !s.namespace) continue;
      result.rows.push({
        subject: s,
        reason: rbacReasonText({ via: 'binding', binding: b, role, rule, subject: s }),
        iam: iamPrincipalsFor(model, s),
      });
    }
  };
  for (const b of model.rbac.policy.clusterRoleBindings) consider(b, '');
  if (namespace !== '') for (const b of model.rbac.roleBindingsIn(namespace)) consider(b, namespace);
  for (const e of model.aws?.accessEntries ?? []) {
    if (model.mode === 'CONFIG_MAP') break;
    const p = entryPolicyDecision(e, request);
    result.unknowns.push(...p.unknowns);
    const first = p.reasons[0];
    if (first) result.accessPolicies.push({ principalArn: e.principalArn, reason: first });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// permissions: everything one identity holds

export interface PermissionRow {
  /** `*` = cluster-wide (all namespaces, cluster-scoped resources and URLs); else one namespace. */
  scope: string;
  rule: PolicyRule;
  via: AccessReason;
}

export interface PermissionsResult {
  identity: ResolvedIdentity;
  rows: PermissionRow[];
  unknowns: string[];
}

/** Verbs × resources × namespaces an identity holds, each with the binding or access policy that grants it. */
export function permissionsOf(model: AccessModel, as: string, asGroups?: string[]): PermissionsResult {
  const identity = resolveIdentity(model, as, asGroups);
  const result: PermissionsResult = { identity, rows: [], unknowns: [] };
  if (identity.source === 'none') return result;
  if (identity.user.groups.includes(SYSTEM_MASTERS)) {
    result.rows.push({
      scope: '*',
      rule: { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      via: rbacReasonText({ via: 'system:masters' }),
    });
    result.rows.push({
      scope: '*',
      rule: { verbs: ['*'], nonResourceURLs: ['*'] },
      via: rbacReasonText({ via: 'system:masters' }),
    });
  }
  model.rbac.visitRules(identity.user, '', (r) => {
    if (r.rule) result.rows.push({ scope: '*', rule: r.rule, via: rbacReasonText(r) });
    return false;
  });
  const namespaces = [...new Set(model.rbac.policy.roleBindings.map((b) => b.namespace ?? ''))].filter(Boolean).sort();
  for (const ns of namespaces) {
    for (const b of model.rbac.roleBindingsIn(ns)) {
      const subject = b.subjects.find((s) => subjectAppliesTo(identity.user, s, ns));
      const role = subject ? model.rbac.resolveRoleRef(b.roleRef, ns) : undefined;
      if (!subject || !role) continue;
      for (const rule of role.rules)
        result.rows.push({ scope: ns, rule, via: rbacReasonText({ via: 'binding', binding: b, role, rule, subject }) });
    }
  }
  const entry = identity.accessEntry;
  if (entry && asGroups === undefined && entry.type === 'STANDARD') {
    for (const p of entry.policies) {
      const rules = accessPolicyRules(p.policyArn);
      const name = p.policyArn.split('/').at(-1) ?? p.policyArn;
      if (!rules) {
        result.unknowns.push(`access policy ${name} has no documented rule table`);
        continue;
      }
      const scopes = p.accessScope.type === 'cluster' ? ['*'] : (p.accessScope.namespaces ?? []);
      for (const scope of scopes)
        for (const rule of rules) {
          if (scope !== '*' && rule.nonResourceURLs?.length) continue;
          result.rows.push({
            scope,
            rule,
            via: {
              via: 'access-policy',
              text: `access entry ${entry.principalArn} → ${name}`,
              file: entry.origin?.file,
            },
          });
        }
    }
  }
  return result;
}
