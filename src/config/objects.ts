/**
 * Controls read from Kubernetes objects other than pod templates: ServiceAccounts (WID-05, WID-09) and ConfigMaps
 * (POD-16). Each check is a pure function of the snapshot.
 */
import type { KubernetesRef } from '../core/index.js';
import type { LoadedObject, Snapshot } from '../inputs/index.js';
import { objectRef } from './pss/snapshot.js';
import type { RuleMeta } from './rule.js';
import { detectSecret, redact } from './secrets.js';
import { DEFAULT_SA_RULE } from './workload.js';

const meta = (id: string, title: string, severity: RuleMeta['severity'], refs: string[], remediation: string) => ({
  id: `workload/${id}`,
  title,
  severity,
  area: 'workload' as const,
  references: refs.map((r) => ({ id: r })),
  remediation,
});

export const OBJECT_RULES = {
  configMapSecret: meta(
    'plaintext-secret-configmap',
    'Plaintext secret in a ConfigMap',
    'HIGH',
    ['POD-16'],
    'Move the value into a Secret (or AWS Secrets Manager) and rotate it; ConfigMaps are readable by anyone with get on them.',
  ),
  sharedRole: meta(
    'shared-iam-role',
    'One IAM role (IRSA) shared by ServiceAccounts of different namespaces',
    'MEDIUM',
    ['WID-05', 'WID-11'],
    'Give each application (and each add-on controller) its own IAM role, or scope a shared role with ABAC session tags.',
  ),
} as const satisfies Record<string, RuleMeta>;

export interface ObjectHit {
  rule: RuleMeta;
  resource: KubernetesRef;
  message: string;
  discriminator?: string;
}

const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';

/** ServiceAccount, ConfigMap and other object-level findings of one snapshot. */
export function checkObjects(snapshot: Snapshot): ObjectHit[] {
  const hits: ObjectHit[] = [];
  const roles = new Map<string, LoadedObject[]>();
  for (const sa of snapshot.ofKind('ServiceAccount')) {
    if (sa.name === 'default' && sa.raw.automountServiceAccountToken !== false) {
      hits.push({
        rule: DEFAULT_SA_RULE,
        resource: objectRef(sa),
        message: `ServiceAccount ${sa.namespace}/default does not set automountServiceAccountToken: false`,
      });
    }
    const role = sa.annotations[IRSA_ANNOTATION];
    if (role) roles.set(role, [...(roles.get(role) ?? []), sa]);
  }
  for (const [role, accounts] of roles) {
    const namespaces = new Set(accounts.map((a) => a.namespace));
    if (namespaces.size < 2) continue;
    const names = accounts.map((a) => `${a.namespace}/${a.name}`).join(', ');
    for (const sa of accounts) {
      hits.push({
        rule: OBJECT_RULES.sharedRole,
        resource: objectRef(sa),
        message: `IAM role ${role} is also used by ServiceAccounts in other namespaces (${names})`,
        discriminator: role,
      });
    }
  }
  for (const cm of snapshot.ofKind('ConfigMap')) {
    const data = cm.raw.data;
    if (!data || typeof data !== 'object' || Array.isArray(data)) continue;
    for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
      if (typeof value !== 'string') continue;
      // A whole file in one key (application.properties, .env) is checked line by line as name=value pairs.
      const pairs = value.includes('\n') ? value.split('\n').map(splitAssignment) : [[key, value] as const];
      for (const [name, v] of pairs) {
        const found = detectSecret(name, v);
        // Entropy alone says nothing about a bare line of a file (certificates, hashes): only named values count.
        if (!found || (found.kind === 'high-entropy value' && name === '')) continue;
        hits.push({
          rule: OBJECT_RULES.configMapSecret,
          resource: objectRef(cm),
          message: `ConfigMap ${cm.namespace}/${cm.name} key ${key}${name !== key ? ` (${name})` : ''} holds ${redact(v)} (${found.kind})`,
          discriminator: `${key}:${name}`,
        });
      }
    }
  }
  return hits;
}

/** `NAME=value` / `name: value` / `name = value` → [name, value]; a line without one is ['', line]. */
function splitAssignment(line: string): readonly [string, string] {
  const m = /^\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*[=:]\s*(.*?)\s*$/.exec(line);
  if (!m) return ['', line.trim()];
  return [m[1] as string, (m[2] as string).replace(/^(['"])(.*)\1$/, '$2')];
}
