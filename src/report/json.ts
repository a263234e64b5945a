import type { Finding, ScanResult } from '../core/index.js';
import { resourceLocation } from '../core/index.js';
import { sortFindings } from './select.js';
import type { WriterContext } from './writer.js';

/** Version of the JSON/YAML output schema documented in docs/output.md. Bump on any incompatible change. */
export const OUTPUT_SCHEMA_VERSION = '1.0';

export interface OutputDocument {
  schemaVersion: string;
  tool: { name: 'rampart'; version: string };
  command: string;
  targets: string[];
  generatedAt: string;
  summary: {
    total: number;
    byStatus: Record<string, number>;
    /** Failing findings by severity. */
    failBySeverity: Record<string, number>;
    errors: number;
  };
  findings: OutputFinding[];
  errors: ScanResult['errors'];
}

export interface OutputFinding {
  id: string;
  ruleId: string;
  pillar?: string;
  title: string;
  description?: string;
  severity: string;
  status: string;
  reason?: string;
  resource: Record<string, unknown>;
  evidence?: Record<string, unknown>;
  remediation?: string;
  references?: Finding['references'];
  suppression?: Finding['suppression'];
  details?: Record<string, unknown>;
}

/** The flat resource shape of the JSON schema: kind, namespace, name, file, line, image, package as applicable. */
export function flattenResource(f: Finding): Record<string, unknown> {
  const r = f.resource;
  const loc = resourceLocation(r);
  const out: Record<string, unknown> = { type: r.type };
  switch (r.type) {
    case 'kubernetes':
      Object.assign(out, { apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name });
      break;
    case 'image':
      Object.assign(out, { image: r.reference, digest: r.digest, layer: r.layer, package: r.package });
      break;
    case 'aws':
      Object.assign(out, { arn: r.arn, resourceType: r.resourceType });
      break;
    case 'file':
      Object.assign(out, { column: r.column });
      break;
  }
  if (loc) Object.assign(out, { file: loc.file, line: loc.line });
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

export function toOutputDocument(result: ScanResult, ctx: WriterContext): OutputDocument {
  const byStatus: Record<string, number> = { fail: 0, unknown: 0, skipped: 0, pass: 0 };
  const failBySeverity: Record<string, number> = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFO: 0 };
  for (const f of result.findings) {
    byStatus[f.status] = (byStatus[f.status] ?? 0) + 1;
    if (f.status === 'fail') failBySeverity[f.severity] = (failBySeverity[f.severity] ?? 0) + 1;
  }
  return {
    schemaVersion: OUTPUT_SCHEMA_VERSION,
    tool: { name: 'rampart', version: ctx.toolVersion },
    command: result.command,
    targets: result.targets,
    generatedAt: ctx.now.toISOString(),
    summary: { total: result.findings.length, byStatus, failBySeverity, errors: result.errors.length },
    findings: sortFindings(result.findings).map((f) => {
      const o: OutputFinding = {
        id: f.id,
        ruleId: f.ruleId,
        pillar: f.pillar,
        title: f.title,
        description: f.description,
        severity: f.severity,
        status: f.status,
        reason: f.reason,
        resource: flattenResource(f),
        evidence: f.evidence,
        remediation: f.remediation,
        references: f.references,
        suppression: f.suppression,
        details: f.details,
      };
      for (const k of Object.keys(o) as Array<keyof OutputFinding>) if (o[k] === undefined) delete o[k];
      return o;
    }),
    errors: result.errors,
  };
}

export function writeJson(result: ScanResult, ctx: WriterContext): string {
  return `${JSON.stringify(toOutputDocument(result, ctx), null, 2)}\n`;
}
