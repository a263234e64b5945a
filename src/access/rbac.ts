import { matchesLabelSelector } from '../inputs/index.js';

/**
 * Kubernetes RBAC, evaluated exactly as kube-apiserver's RBAC authorizer does (rules, bindings, aggregation,
 * escalation and impersonation checks). Pure functions over plain data so that the snapshot model, the EKS access
 * policies and the conformance cases all go through the same code.
 */

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface RoleRef {
  kind: string;
  name: string;
  apiGroup?: string;
}

/** Where an RBAC object came from, so findings and explanations can point at file:line. */
export interface Origin {
  file?: string;
  line?: number;
}

export interface RbacRole {
  name: string;
  /** Set for Roles; undefined for ClusterRoles. */
  namespace?: string;
  labels?: Record<string, string>;
  rules: PolicyRule[];
  aggregationRule?: { clusterRoleSelectors?: unknown[] };
  origin?: Origin;
}

export interface RbacBinding {
  name: string;
  /** Set for RoleBindings; undefined for ClusterRoleBindings. */
  namespace?: string;
  roleRef: RoleRef;
  subjects: Subject[];
  origin?: Origin;
}

export interface RbacPolicy {
  roles: RbacRole[];
  clusterRoles: RbacRole[];
  roleBindings: RbacBinding[];
  clusterRoleBindings: RbacBinding[];
}

export interface UserInfo {
  name: string;
  groups: string[];
  /**
   * Set when the username still holds a template such as `{{SessionName}}` (an IAM role with any session): User
   * subjects then match when they fit the pattern.
   */
  namePattern?: RegExp;
}

export interface ResourceAttributes {
  resourceRequest: true;
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  name: string;
  /** '' = cluster-scoped. */
  namespace: string;
}

export interface NonResourceAttributes {
  resourceRequest: false;
  verb: string;
  path: string;
}

export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

export const SYSTEM_MASTERS = 'system:masters';
export const SYSTEM_AUTHENTICATED = 'system:authenticated';
export const SYSTEM_UNAUTHENTICATED = 'system:unauthenticated';
export const SYSTEM_ANONYMOUS = 'system:anonymous';
const SA_PREFIX = 'system:serviceaccount:';

// ---------------------------------------------------------------------------------------------------------------
// Rule matching

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.includes('*') || rule.verbs.includes(verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  const groups = rule.apiGroups ?? [];
  return groups.includes('*') || groups.includes(group);
}

// `*` matches any resource and `*` + `/sub` any resource's subresource `sub`; `pods/` + `*` is not a wildcard.
export function resourceMatches(rule: PolicyRule, combinedResource: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combinedResource) return true;
    if (subresource === '') continue;
    if (r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** Exact, `*`, or a pattern ending in `*` whose prefix (trailing stars trimmed) starts the path. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

export function ruleAllows(request: RequestAttributes, rule: PolicyRule): boolean {
  if (request.resourceRequest) {
    const combined = request.subresource === '' ? request.resource : `${request.resource}/${request.subresource}`;
    return (
      verbMatches(rule, request.verb) &&
      apiGroupMatches(rule, request.apiGroup) &&
      resourceMatches(rule, combined, request.subresource) &&
      resourceNameMatches(rule, request.name)
    );
  }
  return verbMatches(rule, request.verb) && nonResourceURLMatches(rule, request.path);
}

// ---------------------------------------------------------------------------------------------------------------
// Subjects

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SA_PREFIX}${namespace}:${name}`;
}

/** `system:serviceaccount:ns:name` → {namespace, name}; undefined for any other user name. */
export function parseServiceAccountUsername(username: string): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const rest = username.slice(SA_PREFIX.length).split(':');
  if (rest.length !== 2 || !rest[0] || !rest[1]) return undefined;
  return { namespace: rest[0], name: rest[1] };
}

/** The groups Kubernetes gives a service account user. */
export function serviceAccountGroups(namespace: string): string[] {
  return ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, SYSTEM_AUTHENTICATED];
}

/**
 * Whether `subject` names `user`. A ServiceAccount subject without a namespace takes the binding's namespace
 * (RoleBindings only; in a ClusterRoleBinding it never matches). `*` is not a wildcard.
 */
export function subjectAppliesTo(user: UserInfo, subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.namePattern ? user.namePattern.test(subject.name) : user.name === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      if (ns === '') return false;
      return user.name === serviceAccountUsername(ns, subject.name);
    }
    default:
      return false;
  }
}

export function bindingAppliesTo(user: UserInfo, subjects: Subject[], bindingNamespace: string): Subject | undefined {
  return subjects.find((s) => subjectAppliesTo(user, s, bindingNamespace));
}

// ---------------------------------------------------------------------------------------------------------------
// Policy index and decisions

/** Why a request was allowed: which binding, role and rule (or the privileged group). */
export interface RbacReason {
  via: 'system:masters' | 'binding';
  binding?: RbacBinding;
  role?: RbacRole;
  rule?: PolicyRule;
  subject?: Subject;
}

export interface RbacDecision {
  allowed: boolean;
  reason?: RbacReason;
  /** Bindings whose role could not be found (they grant nothing; reported, never fatal). */
  errors: string[];
}

/**
 * An RBAC policy prepared for many questions: ClusterRoles aggregated, roles and bindings indexed by name and
 * namespace. Build once per snapshot.
 */
export class RbacIndex {
  readonly policy: RbacPolicy;
  readonly clusterRoles = new Map<string, RbacRole>();
  private readonly roles = new Map<string, RbacRole>();
  private readonly roleBindingsByNs = new Map<string, RbacBinding[]>();

  constructor(policy: RbacPolicy) {
    const clusterRoles = aggregateClusterRoles(policy.clusterRoles);
    this.policy = { ...policy, clusterRoles };
    for (const r of clusterRoles) if (!this.clusterRoles.has(r.name)) this.clusterRoles.set(r.name, r);
    for (const r of policy.roles) {
      const key = `${r.namespace ?? ''}/${r.name}`;
      if (!this.roles.has(key)) this.roles.set(key, r);
    }
    for (const b of policy.roleBindings) {
      const ns = b.namespace ?? '';
      let list = this.roleBindingsByNs.get(ns);
      if (!list) this.roleBindingsByNs.set(ns, (list = []));
      list.push(b);
    }
  }

  roleBindingsIn(namespace: string): RbacBinding[] {
    return this.roleBindingsByNs.get(namespace) ?? [];
  }

  /** The role a binding refers to: a Role in the binding's namespace, or a ClusterRole by name. */
  resolveRoleRef(ref: RoleRef, bindingNamespace: string): RbacRole | undefined {
    if (ref.kind === 'ClusterRole') return this.clusterRoles.get(ref.name);
    if (ref.kind === 'Role' && bindingNamespace !== '') return this.roles.get(`${bindingNamespace}/${ref.name}`);
    return undefined;
  }

  /**
   * Visits every (binding, role, rule) that applies to the user for `namespace` ('' = cluster-wide only):
   * all ClusterRoleBindings, then RoleBindings of that namespace. Returning true from `visit` stops.
   */
  visitRules(
    user: UserInfo,
    namespace: string,
    visit: (reason: RbacReason) => boolean | undefined,
    errors: string[] = [],
  ): void {
    for (const b of this.policy.clusterRoleBindings) {
      const subject = bindingAppliesTo(user, b.subjects, '');
      if (!subject) continue;
      const role = this.resolveRoleRef(b.roleRef, '');
      if (!role) {
        errors.push(`clusterrolebinding ${b.name}: ${b.roleRef.kind} ${b.roleRef.name} not found`);
        continue;
      }
      for (const rule of role.rules) if (visit({ via: 'binding', binding: b, role, rule, subject })) return;
    }
    if (namespace === '') return;
    for (const b of this.roleBindingsIn(namespace)) {
      const subject = bindingAppliesTo(user, b.subjects, namespace);
      if (!subject) continue;
      const role = this.resolveRoleRef(b.roleRef, namespace);
      if (!role) {
        errors.push(`rolebinding ${namespace}/${b.name}: ${b.roleRef.kind} ${b.roleRef.name} not found`);
        continue;
      }
      for (const rule of role.rules) if (visit({ via: 'binding', binding: b, role, rule, subject })) return;
    }
  }

  /** The RBAC authorizer alone: allowed or no opinion (RBAC never denies). */
  authorize(user: UserInfo, request: RequestAttributes): RbacDecision {
    const errors: string[] = [];
    let reason: RbacReason | undefined;
    const namespace = request.resourceRequest ? request.namespace : '';
    this.visitRules(
      user,
      namespace,
      (r) => {
        if (r.rule && ruleAllows(request, r.rule)) {
          reason = r;
          return true;
        }
        return false;
      },
      errors,
    );
    return { allowed: reason !== undefined, reason, errors };
  }

  /** As kube-apiserver decides before webhooks: the `system:masters` privileged-group authorizer, then RBAC. */
  authorizeApiServer(user: UserInfo, request: RequestAttributes): RbacDecision {
    if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: { via: 'system:masters' }, errors: [] };
    return this.authorize(user, request);
  }

  /** Every rule the user holds in `namespace` (cluster-wide grants included), as escalation checks see them. */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    const rules: PolicyRule[] = [];
    this.visitRules(user, namespace, (r) => {
      if (r.rule) rules.push(r.rule);
      return false;
    });
    return rules;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Aggregation

function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  return JSON.stringify(normalizeRule(a)) === JSON.stringify(normalizeRule(b));
}

export function normalizeRule(r: PolicyRule): PolicyRule {
  const out: PolicyRule = { verbs: [...r.verbs] };
  if (r.apiGroups?.length) out.apiGroups = [...r.apiGroups];
  if (r.resources?.length) out.resources = [...r.resources];
  if (r.resourceNames?.length) out.resourceNames = [...r.resourceNames];
  if (r.nonResourceURLs?.length) out.nonResourceURLs = [...r.nonResourceURLs];
  return out;
}

/**
 * What the aggregation controller converges to: each ClusterRole with an aggregationRule gets the de-duplicated
 * union of the rules of every other ClusterRole matched by any selector (in name order), its own rules replaced.
 * Nested aggregation is iterated to a fixed point.
 */
export function aggregateClusterRoles(clusterRoles: RbacRole[]): RbacRole[] {
  const current = clusterRoles.map((r) => ({ ...r }));
  const aggregating = current.filter((r) => r.aggregationRule && Array.isArray(r.aggregationRule.clusterRoleSelectors));
  if (aggregating.length === 0) return current;
  const byName = [...current].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (let round = 0; round <= aggregating.length; round++) {
    let changed = false;
    for (const target of aggregating) {
      const rules: PolicyRule[] = [];
      for (const selector of target.aggregationRule?.clusterRoleSelectors ?? []) {
        for (const source of byName) {
          if (source.name === target.name || !matchesLabelSelector(selector, source.labels ?? {})) continue;
          for (const rule of source.rules) if (!rules.some((r) => sameRule(r, rule))) rules.push(rule);
        }
      }
      if (JSON.stringify(rules) !== JSON.stringify(target.rules)) {
        target.rules = rules;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return current;
}

// ---------------------------------------------------------------------------------------------------------------
// Coverage (escalation prevention)

/** Splits rules into atomic (group, resource, verb[, name]) and (url, verb) rules, in upstream order. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        if (rule.resourceNames?.length) {
          for (const name of rule.resourceNames)
            out.push({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        } else out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? [])
    for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

const hasAll = (set: string[], wanted: string[]): boolean => wanted.every((w) => set.includes(w));

export function nonResourceURLCovers(owner: string, requested: string): boolean {
  if (owner === requested) return true;
  return owner.endsWith('*') && requested.startsWith(owner.replace(/\*+$/, ''));
}

function resourceCoversAll(owner: string[], wanted: string[]): boolean {
  if (owner.includes('*') || hasAll(owner, wanted)) return true;
  for (const path of wanted) {
    if (owner.includes(path)) continue;
    const slash = path.indexOf('/');
    if (slash < 0) return false;
    if (!owner.includes(`*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

/** Whether one owner rule covers one (atomic or not) servant rule. Enumerations never cover `*`. */
export function ruleCovers(owner: PolicyRule, servant: PolicyRule): boolean {
  const verbs = owner.verbs.includes('*') || hasAll(owner.verbs, servant.verbs);
  const groups = (owner.apiGroups ?? []).includes('*') || hasAll(owner.apiGroups ?? [], servant.apiGroups ?? []);
  const resources = resourceCoversAll(owner.resources ?? [], servant.resources ?? []);
  const urls = (servant.nonResourceURLs ?? []).every((u) =>
    (owner.nonResourceURLs ?? []).some((o) => nonResourceURLCovers(o, u)),
  );
  const servantNames = servant.resourceNames ?? [];
  const ownerNames = owner.resourceNames ?? [];
  const names =
    servantNames.length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, servantNames);
  return verbs && groups && resources && urls && names;
}

/** Do the owner's rules cover every servant rule? Returns the atomic rules that are not covered. */
export function covers(
  ownerRules: PolicyRule[],
  servantRules: PolicyRule[],
): { covered: boolean; uncovered: PolicyRule[] } {
  const uncovered: PolicyRule[] = [];
  for (const servant of servantRules) {
    for (const atomic of breakdownRule(servant)) {
      if (!ownerRules.some((o) => ruleCovers(o, atomic))) uncovered.push(atomic);
    }
  }
  return { covered: uncovered.length === 0, uncovered };
}

// ---------------------------------------------------------------------------------------------------------------
// Write-time escalation checks

export type EscalationOperation =
  | { operation: 'createRole'; user: string; groups: string[]; namespace: string; rules: PolicyRule[]; name?: string }
  | {
      operation: 'createRoleBinding';
      user: string;
      groups: string[];
      namespace: string;
      roleRef: { kind: string; name: string };
    };

/**
 * May this user create the Role / RoleBinding without escalating? Allowed for `system:masters`, with `escalate`
 * (roles) or `bind` (the referenced role by name), or when the user's own rules in that namespace cover it.
 * Assumes the user may create the object itself.
 */
export function escalationAllowed(index: RbacIndex, op: EscalationOperation): { allowed: boolean; why: string } {
  const user: UserInfo = { name: op.user, groups: op.groups };
  if (op.groups.includes(SYSTEM_MASTERS)) return { allowed: true, why: 'system:masters' };
  const ns = op.namespace;
  if (op.operation === 'createRole') {
    const escalate = index.authorize(user, {
      resourceRequest: true,
      verb: 'escalate',
      apiGroup: 'rbac.authorization.k8s.io',
      resource: ns === '' ? 'clusterroles' : 'roles',
      subresource: '',
      name: op.name ?? '',
      namespace: ns,
    });
    if (escalate.allowed) return { allowed: true, why: 'escalate verb' };
    const c = covers(index.rulesFor(user, ns), op.rules);
    return c.covered ? { allowed: true, why: 'covered by own rules' } : { allowed: false, why: 'would escalate' };
  }
  const bind = index.authorize(user, {
    resourceRequest: true,
    verb: 'bind',
    apiGroup: 'rbac.authorization.k8s.io',
    resource: op.roleRef.kind === 'ClusterRole' ? 'clusterroles' : 'roles',
    subresource: '',
    name: op.roleRef.name,
    namespace: ns,
  });
  if (bind.allowed) return { allowed: true, why: 'bind verb' };
  const role = index.resolveRoleRef(op.roleRef, ns);
  if (!role) return { allowed: false, why: `${op.roleRef.kind} ${op.roleRef.name} not found` };
  const c = covers(index.rulesFor(user, ns), role.rules);
  return c.covered ? { allowed: true, why: 'covered by own rules' } : { allowed: false, why: 'would escalate' };
}

// ---------------------------------------------------------------------------------------------------------------
// Impersonation

export interface ImpersonationHeaders {
  impersonateUser?: string;
  impersonateGroups?: string[];
  impersonateExtras?: Record<string, string[]>;
}

export interface ImpersonationResult {
  allowed: boolean;
  /** Every check made, in order; on denial the last one is the one that failed. */
  checks: ResourceAttributes[];
  resultingUser?: UserInfo;
  error?: string;
}

/** The checks the impersonation filter makes (impersonate on users / serviceaccounts, groups, userextras). */
export function impersonationChecks(headers: ImpersonationHeaders): ResourceAttributes[] {
  const checks: ResourceAttributes[] = [];
  const base = { resourceRequest: true as const, verb: 'impersonate', subresource: '', namespace: '' };
  const userName = headers.impersonateUser;
  if (userName !== undefined) {
    const sa = parseServiceAccountUsername(userName);
    if (sa) checks.push({ ...base, apiGroup: '', resource: 'serviceaccounts', name: sa.name, namespace: sa.namespace });
    else checks.push({ ...base, apiGroup: '', resource: 'users', name: userName });
  }
  for (const g of headers.impersonateGroups ?? []) checks.push({ ...base, apiGroup: '', resource: 'groups', name: g });
  for (const [key, values] of Object.entries(headers.impersonateExtras ?? {}))
    for (const v of values)
      checks.push({ ...base, apiGroup: 'authentication.k8s.io', resource: 'userextras', subresource: key, name: v });
  return checks;
}

export function impersonate(index: RbacIndex, requestor: UserInfo, headers: ImpersonationHeaders): ImpersonationResult {
  const userName = headers.impersonateUser;
  if (userName === undefined) {
    const any = (headers.impersonateGroups?.length ?? 0) > 0 || Object.keys(headers.impersonateExtras ?? {}).length > 0;
    return {
      allowed: false,
      checks: [],
      error: any ? 'impersonating groups or extras requires a user' : 'no impersonation',
    };
  }
  const checks: ResourceAttributes[] = [];
  for (const check of impersonationChecks(headers)) {
    checks.push(check);
    if (!index.authorizeApiServer(requestor, check).allowed) return { allowed: false, checks };
  }
  const groupsGiven = headers.impersonateGroups !== undefined && headers.impersonateGroups.length > 0;
  let groups = [...(headers.impersonateGroups ?? [])];
  const sa = parseServiceAccountUsername(userName);
  if (!groupsGiven && sa) groups = serviceAccountGroups(sa.namespace).filter((g) => g !== SYSTEM_AUTHENTICATED);
  if (!groupsGiven && userName !== SYSTEM_ANONYMOUS && !groups.includes(SYSTEM_AUTHENTICATED))
    groups.push(SYSTEM_AUTHENTICATED);
  return { allowed: true, checks, resultingUser: { name: userName, groups } };
}
