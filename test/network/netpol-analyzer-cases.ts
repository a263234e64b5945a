import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MatrixRequest } from '../../src/network/index.js';
import { sharedPath } from '../support/shared.js';

/** One recorded netpol-analyzer run (cases.json), with its CLI flags and expected file per format. */
export interface RecordedRun {
  caseName: string;
  category: string;
  kind: 'connlist' | 'explain';
  flags: string[];
  formats: string[];
  expected: Record<string, string>;
}

export const CORPUS = 'conformance/netpol-analyzer';

export function corpusDir(): string | undefined {
  return sharedPath(...CORPUS.split('/'));
}

/** The theme of a case, for the pass/fail table in docs/conformance.md. */
export function categoryOf(caseName: string, flags: string[]): string {
  if (flags.includes('--multiple-networks') || /^(udn|cudn|nad|vm|virtual)/.test(caseName))
    return 'multi-network (UDN/NAD/VM)';
  if (/ingress|route/.test(caseName)) return 'Ingress/Route';
  if (flags.includes('--exposure')) return /anp|banp/.test(caseName) ? 'exposure ANP/BANP' : 'exposure';
  if (/anp|banp/.test(caseName)) return 'ANP/BANP';
  return 'NetworkPolicy';
}

export function recordedRuns(): RecordedRun[] {
  const dir = corpusDir();
  if (!dir) return [];
  const data = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as {
    cases: Array<{
      case: string;
      connlist_runs: Array<{ formats: string[]; expected: Record<string, string>; cli_flags: string[] }>;
      explain_runs: Array<{ formats: string[]; expected: Record<string, string>; cli_flags: string[] }>;
    }>;
  };
  const out: RecordedRun[] = [];
  for (const c of data.cases) {
    for (const [kind, runs] of [
      ['connlist', c.connlist_runs],
      ['explain', c.explain_runs],
    ] as const)
      for (const r of runs)
        out.push({
          caseName: c.case,
          category: categoryOf(c.case, r.cli_flags),
          kind,
          flags: r.cli_flags,
          formats: r.formats.filter((f) => f !== 'svg'),
          expected: r.expected,
        });
  }
  return out;
}

/** Upstream's comparison: delete every \n and \r, then require equality. */
export function sameAsUpstream(actual: string, expected: string): boolean {
  const strip = (s: string) => s.replace(/[\r\n]/g, '');
  return strip(actual) === strip(expected);
}

/** netpol-analyzer CLI flags as recorded in cases.json → our matrix request (the CLI maps them the same way). */
export function requestFromFlags(flags: string[], format: string, paths: string[]): MatrixRequest {
  const get = (n: string) => {
    const i = flags.indexOf(n);
    return i >= 0 ? flags[i + 1] : undefined;
  };
  return {
    paths,
    format,
    compat: 'netpol-analyzer',
    focusWorkloads: get('--focusworkload')?.split(','),
    focusWorkloadPeers: get('--focusworkload-peer')?.split(','),
    focusDirection: get('--focus-direction') as 'ingress' | 'egress' | undefined,
    focusConnText: get('--focus-conn'),
    explain: flags.includes('--explain'),
    explainOnly: get('--explain-only') as 'allow' | 'deny' | undefined,
    exposure: flags.includes('--exposure'),
    multipleNetworks: flags.includes('--multiple-networks'),
  };
}
