import { renderColumns } from '../report/index.js';
import { DOCKERFILE_RULES } from './dockerfile/rules.js';
import { OBJECT_RULES } from './objects.js';
import { PRIVILEGED_RULES } from './privileged.js';
import { PSS_NAMESPACE_RULES, PSS_RULES } from './pss/snapshot.js';
import type { RuleMeta } from './rule.js';
import { USER_RULES } from './user.js';
import { DEFAULT_SA_RULE, WORKLOAD_RULES } from './workload.js';

/** Every rule the config engine can report, in documentation order. */
export function configRules(): RuleMeta[] {
  return [
    ...DOCKERFILE_RULES.map((r) => r.meta),
    ...Object.values(PRIVILEGED_RULES),
    ...WORKLOAD_RULES.map((r) => r.meta),
    DEFAULT_SA_RULE,
    ...Object.values(OBJECT_RULES),
    ...Object.values(USER_RULES),
    ...PSS_RULES.values(),
    ...Object.values(PSS_NAMESPACE_RULES),
  ];
}

export function rulesTable(rules: readonly RuleMeta[]): string {
  return renderColumns(
    rules.map((r) => [r.id, r.severity, r.area, r.title]),
    ['RULE', 'SEVERITY', 'AREA', 'TITLE'],
  );
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** docs/rules.md, generated from the rule metadata (`rampart rules list -o markdown`). */
export function rulesMarkdown(rules: readonly RuleMeta[]): string {
  const lines = [
    '# Rules',
    '',
    'Generated from the rule metadata by `rampart rules list -o markdown > docs/rules.md`; do not edit by hand.',
    'Disable rules or change severities in `.rampart.yaml` (`lint.disable`, `lint.severity`); suppress one finding',
    'with `# rampart:ignore <rule> <reason>` on or above the line.',
    '',
  ];
  const areas = [...new Set(rules.map((r) => r.area))];
  for (const area of areas) {
    lines.push(`## ${area}`, '', '| rule | severity | title | references | remediation |', '|---|---|---|---|---|');
    for (const r of rules.filter((x) => x.area === area)) {
      const refs = r.references.map((x) => x.id ?? x.url ?? '').join(', ');
      lines.push(`| \`${r.id}\` | ${r.severity} | ${cell(r.title)} | ${cell(refs)} | ${cell(r.remediation ?? '')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
