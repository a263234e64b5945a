import { createHash } from 'node:crypto';
import { type ResourceRef, resourceKey } from './resource.js';
import type { Severity } from './severity.js';

/**
 * pass / fail are verdicts. `unknown` means the data needed for a verdict was missing or could not be read
 * (never a pass); `skipped` means the check did not apply or was switched off. Both carry a reason.
 */
export type FindingStatus = 'fail' | 'pass' | 'unknown' | 'skipped';
export const FINDING_STATUSES: readonly FindingStatus[] = ['fail', 'unknown', 'skipped', 'pass'];

/** Where a pillar of Rampart stands; the hub and `audit` group by it. */
export type Pillar = 'image' | 'vulnerability' | 'config' | 'access' | 'boundary' | 'network';

export interface Reference {
  /** e.g. `CIS-EKS-4.2.1`, `PSS-restricted:runAsNonRoot`, `CVE-2024-1234`. */
  id?: string;
  url?: string;
  title?: string;
}

export interface Suppression {
  reason: string;
  /** ISO date after which the suppression no longer applies. */
  expires?: string;
  by?: string;
}

export interface Finding {
  /** Stable across runs: hash of rule id + resource key + discriminator. */
  id: string;
  ruleId: string;
  pillar?: Pillar;
  title: string;
  description?: string;
  severity: Severity;
  status: FindingStatus;
  /** Required for `unknown` and `skipped`. */
  reason?: string;
  resource: ResourceRef;
  /** Facts that support the verdict, as short key/value pairs for tables and as data for machines. */
  evidence?: Record<string, unknown>;
  remediation?: string;
  references?: Reference[];
  suppression?: Suppression;
  /** Engine-specific extra data (e.g. vulnerability details) that writers may render when they know it. */
  details?: Record<string, unknown>;
}

export interface NewFinding extends Omit<Finding, 'id'> {
  /** Distinguishes several findings of one rule on one resource (e.g. container name, CVE + package). */
  discriminator?: string;
}

export function findingId(ruleId: string, resource: ResourceRef, discriminator = ''): string {
  const h = createHash('sha256');
  h.update(ruleId);
  h.update('\0');
  h.update(resourceKey(resource));
  h.update('\0');
  h.update(discriminator);
  return h.digest('hex').slice(0, 24);
}

/** Builds a finding with its stable id; rejects unknown/skipped without a reason so they cannot hide. */
export function makeFinding(input: NewFinding): Finding {
  const { discriminator, ...rest } = input as NewFinding & { id?: string };
  delete (rest as { id?: string }).id;
  if ((rest.status === 'unknown' || rest.status === 'skipped') && !rest.reason) {
    throw new Error(`finding ${rest.ruleId}: status ${rest.status} needs a reason`);
  }
  return { ...rest, id: findingId(rest.ruleId, rest.resource, discriminator) };
}
