import type { Finding, ScanResult, Severity } from '../core/index.js';
import { resourceLabel, resourceLocation, vulnerabilityOf } from '../core/index.js';
import { sortFindings } from './select.js';
import type { WriterContext } from './writer.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  CRITICAL: 'error',
  HIGH: 'error',
  MEDIUM: 'warning',
  LOW: 'note',
  INFO: 'note',
};

/** GitHub reads `security-severity` as a number in a string; these are the midpoints of its bands. */
const SECURITY_SEVERITY: Record<Severity, string> = {
  CRITICAL: '9.5',
  HIGH: '8.0',
  MEDIUM: '5.5',
  LOW: '2.0',
  INFO: '0.0',
};

/** SARIF 2.1.0 with one run; fail findings as results, unknown ones as `kind: open` (never silently dropped). */
export function writeSarif(result: ScanResult, ctx: WriterContext): string {
  const shown = sortFindings(result.findings).filter(
    (f) => f.status === 'fail' || f.status === 'unknown' || (ctx.showPassed && f.status === 'pass'),
  );
  const ruleIndex = new Map<string, number>();
  const rules: Record<string, unknown>[] = [];
  for (const f of shown) {
    if (ruleIndex.has(f.ruleId)) continue;
    ruleIndex.set(f.ruleId, rules.length);
    rules.push(ruleFor(f, shown));
  }
  const results = shown.map((f) => {
    const loc = resourceLocation(f.resource);
    const kind = f.status === 'fail' ? 'fail' : f.status === 'pass' ? 'pass' : 'open';
    const message =
      f.status === 'unknown'
        ? `${f.title} (unknown: ${f.reason ?? 'no reason given'})`
        : `${f.title}: ${resourceLabel(f.resource)}`;
    const r: Record<string, unknown> = {
      ruleId: f.ruleId,
      ruleIndex: ruleIndex.get(f.ruleId),
      kind,
      level: kind === 'fail' ? LEVEL[f.severity] : 'none',
      message: { text: message },
      partialFingerprints: { 'rampartFindingId/v1': f.id },
      properties: { severity: f.severity, status: f.status, resource: resourceLabel(f.resource) },
    };
    if (loc) {
      r.locations = [
        {
          physicalLocation: {
            artifactLocation: { uri: toUri(loc.file) },
            region: { startLine: loc.line && loc.line > 0 ? loc.line : 1 },
          },
        },
      ];
    } else {
      r.locations = [{ logicalLocations: [{ fullyQualifiedName: resourceLabel(f.resource), kind: 'resource' }] }];
    }
    if (f.suppression) r.suppressions = [{ kind: 'external', justification: f.suppression.reason }];
    return r;
  });
  const doc = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'rampart',
            fullName: 'Rampart security scanner for Amazon EKS',
            informationUri: 'https://github.com/rampart-eks/rampart',
            version: ctx.toolVersion,
            semanticVersion: ctx.toolVersion,
            rules,
          },
        },
        automationDetails: { id: `rampart/${result.command.replace(/\s+/g, '-')}/` },
        invocations: [
          {
            executionSuccessful: !result.errors.some((e) => e.level === 'error'),
            toolExecutionNotifications: result.errors.map((e) => ({
              level: e.level === 'error' ? 'error' : 'warning',
              message: { text: e.message },
              ...(e.file
                ? {
                    locations: [
                      {
                        physicalLocation: {
                          artifactLocation: { uri: toUri(e.file) },
                          ...(e.line ? { region: { startLine: e.line } } : {}),
                        },
                      },
                    ],
                  }
                : {}),
            })),
          },
        ],
        results,
      },
    ],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function ruleFor(f: Finding, all: Finding[]): Record<string, unknown> {
  // A rule's severity is the worst severity any of its findings has.
  const order: Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
  const worst = order.find((s) => all.some((g) => g.ruleId === f.ruleId && g.severity === s)) ?? f.severity;
  const vuln = vulnerabilityOf(f.details);
  const helpUri = f.references?.find((r) => r.url)?.url;
  const tags = [...new Set([...(vuln ? ['vulnerability'] : []), 'security', f.pillar ?? 'rampart', worst])];
  return {
    id: f.ruleId,
    name: f.ruleId
      .replace(/[^A-Za-z0-9]+/g, ' ')
      .trim()
      .replace(/ (\w)/g, (_, c: string) => c.toUpperCase()),
    shortDescription: { text: f.title },
    fullDescription: { text: f.description ?? f.title },
    ...(helpUri ? { helpUri } : {}),
    help: { text: f.remediation ?? f.description ?? f.title },
    defaultConfiguration: { level: LEVEL[worst] },
    properties: { 'security-severity': SECURITY_SEVERITY[worst], tags, precision: 'very-high' },
  };
}

/** Relative paths stay relative (GitHub resolves them against the checkout); absolute ones become file: URIs. */
function toUri(path: string): string {
  if (path.startsWith('/')) return `file://${encodeURI(path)}`;
  return encodeURI(path.replace(/\\/g, '/'));
}
