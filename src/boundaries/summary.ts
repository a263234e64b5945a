import { renderColumns } from '../report/index.js';
import type { AuditResult, StatusCounts } from './audit.js';

function counts(c: StatusCounts): string[] {
  return [String(c.fail), String(c.unknown), String(c.skipped), String(c.pass)];
}

/** One line on the built-in ClusterRoles whose default rules the RBAC checks assumed. */
export function assumedRolesText(assumed: { version: string; roles: string[] }): string {
  return `built-in ClusterRole rules of ${assumed.roles.join(', ')} (${assumed.version}): bound in the snapshot but not defined there; grants that depend on them are marked in the evidence`;
}

/** The audit summary for people: enforcement, one line per namespace verdict, counts by pillar and namespace. */
export function formatAuditSummary(result: AuditResult): string {
  const a = result.audit;
  const lines: string[] = [];
  lines.push(`Rampart audit of ${result.targets.join(' ')}`);
  lines.push(`NetworkPolicy enforcement: ${a.enforcement.state} — ${a.enforcement.summary}`);
  const v = a.summary.verdicts;
  lines.push(`Namespace boundaries: ${v.open} open, ${v.partial} partial, ${v.isolated} isolated`, '');
  lines.push(
    renderColumns(
      a.namespaces.map((n) => [
        n.namespace,
        n.verdict ?? 'not judged',
        `enforce=${n.podSecurity.enforce}`,
        n.reasons[0] ?? '',
      ]),
      ['NAMESPACE', 'VERDICT', 'POD SECURITY', 'FIRST REASON'],
    ),
    '',
  );
  lines.push(
    renderColumns(
      Object.entries(a.summary.byPillar)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([p, c]) => [p, ...counts(c)]),
      ['PILLAR', 'FAIL', 'UNKNOWN', 'SKIPPED', 'PASS'],
    ),
    '',
  );
  lines.push(
    renderColumns(
      Object.entries(a.summary.byNamespace)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([ns, c]) => [ns, ...counts(c)]),
      ['NAMESPACE', 'FAIL', 'UNKNOWN', 'SKIPPED', 'PASS'],
    ),
    '',
  );
  if (a.assumedRoles) lines.push(`Assumed: ${assumedRolesText(a.assumedRoles)}`, '');
  const notRun = a.engines.filter((e) => e.status !== 'ran');
  if (notRun.length) {
    lines.push('Not checked in this run:');
    for (const e of notRun) lines.push(`  ${e.engine}: ${e.purpose} — ${e.status}: ${e.reason ?? ''}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
