import picomatch from 'picomatch';
import type { Finding, InputProblem } from '../core/index.js';

interface Directive {
  pattern: string;
  reason: string;
  /** 1-based line of the comment. */
  line: number;
  /** 1-based line the directive covers: its own line and the next line with content. */
  target: number;
}

const DIRECTIVE_RE = /#\s*rampart:ignore(?:\s+(\S+))?(?:\s+(.*\S))?\s*$/;

/** Reads `# rampart:ignore <rule> <reason>` comments; a directive without a reason is a problem, not a suppression. */
export function readDirectives(file: string, text: string): { directives: Directive[]; problems: InputProblem[] } {
  const lines = text.split(/\r?\n/);
  const directives: Directive[] = [];
  const problems: InputProblem[] = [];
  lines.forEach((l, i) => {
    if (!l.includes('rampart:ignore')) return;
    const m = DIRECTIVE_RE.exec(l);
    if (!m) return;
    const [, pattern, reason] = m;
    if (!pattern || !reason) {
      problems.push({
        level: 'warning',
        file,
        line: i + 1,
        message: 'rampart:ignore needs a rule id and a reason (`# rampart:ignore <rule> <reason>`); not applied',
      });
      return;
    }
    let target = i + 1;
    if (/^\s*#/.test(l)) {
      for (let j = i + 1; j < lines.length; j++) {
        const next = lines[j] as string;
        if (next.trim() === '' || /^\s*#/.test(next) || next.trim() === '---') continue;
        target = j + 1;
        break;
      }
    }
    directives.push({ pattern, reason, line: i + 1, target });
  });
  return { directives, problems };
}

/** Lines a finding covers: one line for files, the whole object for Kubernetes resources. */
export interface LineSpan {
  start: number;
  end: number;
}

/**
 * Marks findings as suppressed (they stay in the result, flagged) when a directive for their rule is on their line,
 * just above it, or inside the Kubernetes object they are about.
 */
export function applyDirectives(
  findings: Finding[],
  directives: readonly Directive[],
  spanOf: (f: Finding) => LineSpan | undefined,
): Finding[] {
  if (directives.length === 0) return findings;
  return findings.map((f) => {
    const span = spanOf(f);
    if (span === undefined) return f;
    const inside = (line: number): boolean => line >= span.start && line <= span.end;
    const d = directives.find((x) => (inside(x.target) || inside(x.line)) && matches(x.pattern, f.ruleId));
    return d ? { ...f, suppression: { reason: d.reason, by: `rampart:ignore at line ${d.line}` } } : f;
  });
}

function matches(pattern: string, ruleId: string): boolean {
  return pattern === ruleId || picomatch.isMatch(ruleId, pattern);
}
