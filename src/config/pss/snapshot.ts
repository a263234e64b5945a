import type { Finding, KubernetesRef, Severity } from '../../core/index.js';
import { expandWorkloads, type LoadedObject, type Snapshot, type WorkloadPod } from '../../inputs/index.js';
import { findingOf, type RuleMeta, ref } from '../rule.js';
import { PSS_CHECKS } from './checks.js';
import { admissionMessage, evaluatePod, type PssEvaluation } from './evaluate.js';
import {
  formatPssVersion,
  LATEST_PSS_VERSION,
  PSS_LEVELS,
  type PssLevel,
  type PssVersion,
  parseLabelVersion,
} from './version.js';

export const PSS_MODES = ['enforce', 'audit', 'warn'] as const;
export type PssMode = (typeof PSS_MODES)[number];

export interface ModePolicy {
  level: PssLevel;
  version: PssVersion;
  /** True when the namespace has the level label (otherwise the cluster default, privileged, applies). */
  labelled: boolean;
}

export interface NamespacePolicy {
  namespace: string;
  modes: Record<PssMode, ModePolicy>;
  /** Label values admission would reject, as `label=value`. */
  invalidLabels: string[];
}

const LABEL_PREFIX = 'pod-security.kubernetes.io/';

/**
 * Reads `pod-security.kubernetes.io/<mode>[-version]` labels. A missing level is `privileged` (the EKS default
 * admission configuration); a `latest` or missing version is the cluster's minor when known, else the newest
 * policy; an unparsable version is `latest`, as admission does.
 */
export function namespacePolicy(
  ns: LoadedObject | undefined,
  name: string,
  clusterVersion?: PssVersion,
): NamespacePolicy {
  const labels = ns?.labels ?? {};
  const invalidLabels: string[] = [];
  const latest = clusterVersion ?? LATEST_PSS_VERSION;
  const modes = {} as Record<PssMode, ModePolicy>;
  for (const mode of PSS_MODES) {
    const levelText = labels[LABEL_PREFIX + mode];
    let level: PssLevel = 'privileged';
    if (levelText !== undefined) {
      if ((PSS_LEVELS as readonly string[]).includes(levelText)) level = levelText as PssLevel;
      else invalidLabels.push(`${LABEL_PREFIX}${mode}=${levelText}`);
    }
    const versionText = labels[`${LABEL_PREFIX}${mode}-version`];
    const parsed = parseLabelVersion(versionText);
    if (!parsed.valid) invalidLabels.push(`${LABEL_PREFIX}${mode}-version=${versionText}`);
    const version = versionText === undefined || versionText === 'latest' || !parsed.valid ? latest : parsed.version;
    modes[mode] = { level, version, labelled: levelText !== undefined };
  }
  return { namespace: name, modes, invalidLabels };
}

const PSS_REFERENCE_URL = 'https://kubernetes.io/docs/concepts/security/pod-security-standards/';

/** One rule per upstream check id: `pss/<checkId>`. */
export const PSS_RULES: ReadonlyMap<string, RuleMeta> = new Map(
  PSS_CHECKS.map((c) => [
    c.id,
    {
      id: `pss/${c.id}`,
      title: `Pod Security Standards (${c.level}): ${c.id}`,
      severity: c.level === 'baseline' ? 'HIGH' : 'MEDIUM',
      area: 'pod-security',
      references: [ref(`PSS-${c.level}:${c.id}`, PSS_REFERENCE_URL), ref('POD-15')],
      remediation:
        'Change the pod template so the check passes, or run it in a namespace whose Pod Security level allows it.',
    } satisfies RuleMeta,
  ]),
);

export const PSS_NAMESPACE_RULES = {
  unlabelled: {
    id: 'pss/namespace-no-enforce',
    title: 'Namespace has no Pod Security enforce label',
    severity: 'MEDIUM',
    area: 'pod-security',
    references: [ref('POD-15'), ref('TEN')],
    remediation:
      'Label the namespace pod-security.kubernetes.io/enforce=baseline (or restricted) and pin enforce-version.',
  },
  invalidLabel: {
    id: 'pss/namespace-invalid-label',
    title: 'Namespace has an invalid Pod Security label',
    severity: 'MEDIUM',
    area: 'pod-security',
    references: [ref('POD-15')],
    remediation: 'Use privileged|baseline|restricted for levels and latest|v1.<minor> for versions.',
  },
} as const satisfies Record<string, RuleMeta>;

export interface PssScanOptions {
  /** Evaluate every workload at this level instead of its namespace's labels. */
  level?: PssLevel;
  version?: PssVersion;
  /** What `latest` in namespace labels means (the cluster's minor). */
  clusterVersion?: PssVersion;
  /** Skip the namespace hygiene findings (no enforce label…). */
  skipNamespaceFindings?: boolean;
}

/** Where a loaded object is: kind, namespace, name and its file and line. */
export function objectRef(o: LoadedObject): KubernetesRef {
  return {
    type: 'kubernetes',
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.namespace,
    name: o.name,
    file: o.source.file,
    line: o.source.line,
  };
}

export function workloadRef(w: WorkloadPod): KubernetesRef {
  return { ...objectRef(w.owner), kind: w.ownerKind, namespace: w.namespace, name: w.name };
}

const MODE_SEVERITY: Record<PssMode, Severity> = { enforce: 'HIGH', warn: 'MEDIUM', audit: 'LOW' };

function effectText(mode: PssMode, kind: string): string {
  if (mode === 'enforce')
    return kind === 'Pod' ? 'admission rejects this pod' : 'admission rejects the pods it creates';
  if (mode === 'warn') return 'admission returns a warning';
  return 'admission records an audit annotation';
}

/** Findings for one evaluation, one per failed check. */
function violationFindings(
  w: WorkloadPod,
  e: PssEvaluation,
  mode: PssMode | 'check',
  severity: Severity | undefined,
): Finding[] {
  const resource = workloadRef(w);
  const where = `${w.specPath}`;
  const message = admissionMessage(e, mode === 'check' || mode === 'enforce' ? 'enforce' : mode);
  return e.violations.map((v) => {
    const rule = PSS_RULES.get(v.checkId) as RuleMeta;
    const effect = mode === 'check' ? '' : ` (${mode}: ${effectText(mode, w.ownerKind)})`;
    return findingOf(rule, {
      resource,
      severity,
      message: `${v.forbiddenReason}${v.forbiddenDetail ? ` (${v.forbiddenDetail})` : ''}${effect}`,
      discriminator: `${mode}:${e.level}:${e.version.minor}:${v.checkId}`,
      evidence: {
        level: e.level,
        version: formatPssVersion(e.version),
        ...(mode === 'check' ? {} : { mode }),
        podSpec: where,
        admission: message,
      },
    });
  });
}

/**
 * Pod Security over a snapshot. With `level`, every workload (through its pod template) is evaluated at that level;
 * otherwise each namespace's enforce, audit and warn labels decide what admission would reject, audit or warn.
 */
export function scanPodSecurity(snapshot: Snapshot, options: PssScanOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const workloads = expandWorkloads(snapshot);
  if (options.level) {
    const version = options.version ?? options.clusterVersion ?? LATEST_PSS_VERSION;
    for (const w of workloads) {
      const e = evaluatePod({ annotations: w.annotations }, w.spec, options.level, version);
      findings.push(...violationFindings(w, e, 'check', undefined));
      if (e.allowed) findings.push(passFinding(w, e));
    }
    return findings;
  }
  const policies = new Map<string, NamespacePolicy>();
  for (const name of snapshot.namespaces()) {
    const ns = snapshot.get('Namespace', undefined, name);
    const p = namespacePolicy(ns, name, options.clusterVersion);
    policies.set(name, p);
    if (options.skipNamespaceFindings || !ns) continue;
    const resource = objectRef(ns);
    for (const bad of p.invalidLabels) {
      findings.push(
        findingOf(PSS_NAMESPACE_RULES.invalidLabel, { resource, message: `invalid label ${bad}`, discriminator: bad }),
      );
    }
    if (!p.modes.enforce.labelled && !isSystemNamespace(name)) {
      findings.push(
        findingOf(PSS_NAMESPACE_RULES.unlabelled, {
          resource,
          message: `namespace ${name}${ns.synthesized ? ' (referenced, not defined in the scanned files)' : ''} has no pod-security.kubernetes.io/enforce label, so every pod is admitted (privileged)`,
          status: ns.synthesized ? 'unknown' : 'fail',
          reason: ns.synthesized
            ? 'the Namespace object is not in the scanned files; its labels are unknown'
            : undefined,
        }),
      );
    }
  }
  for (const w of workloads) {
    const p = policies.get(w.namespace) ?? namespacePolicy(undefined, w.namespace, options.clusterVersion);
    const seen = new Set<string>();
    for (const mode of PSS_MODES) {
      const m = p.modes[mode];
      if (m.level === 'privileged') continue;
      const key = `${m.level}@${m.version.minor}`;
      const e = evaluatePod({ annotations: w.annotations }, w.spec, m.level, m.version);
      // warn and audit at the same level/version as enforce add nothing a reader needs twice.
      if (seen.has(key) && !e.allowed) continue;
      seen.add(key);
      findings.push(...violationFindings(w, e, mode, MODE_SEVERITY[mode]));
    }
  }
  return findings;
}

/** Namespaces the EKS control plane and add-ons run in; they are typically privileged on purpose. */
function isSystemNamespace(name: string): boolean {
  return name === 'kube-system' || name === 'kube-public' || name === 'kube-node-lease';
}

function passFinding(w: WorkloadPod, e: PssEvaluation): Finding {
  return findingOf(
    {
      id: `pss/${e.level}`,
      title: `Pod Security Standards ${e.level}`,
      severity: 'INFO',
      area: 'pod-security',
      references: [ref(`PSS-${e.level}`, PSS_REFERENCE_URL)],
    },
    {
      resource: workloadRef(w),
      status: 'pass',
      message: `allowed at ${e.level}:${formatPssVersion(e.version)}`,
      discriminator: `${e.level}:${e.version.minor}`,
    },
  );
}
