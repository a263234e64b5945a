import { ConnSet, type Protocol } from './conn.js';
import type { Segment } from './engine.js';
import { renderExplainCompat } from './explain-compat.js';
import { type Connection, cmp, computeMatrix, type FocusOptions, workloadMatches } from './matrix.js';
import type { NetPod } from './model.js';
import { type MultiNetworkLayout, type NetworkSection, networkOrder, networkTitle } from './multinetwork.js';

const DASHES = '-'.repeat(160);
const SPECIFIC = 'Specific connections and their reasons';
const DEFAULTS = 'All Connections due to the system default (Allow all)';
const NOTE =
  '*** Note: Connections between any peers from separate isolated networks are denied by default and therefore not listed in this report.';

export interface MultiNetworkExplainRequest extends FocusOptions {
  explainOnly?: 'allow' | 'deny';
}

function banner(title: string): string[] {
  const line = `# ${title} #`;
  return ['', '#'.repeat(line.length), line, '#'.repeat(line.length)];
}

const onlyDefault = (segs: Segment[]) => segs.every((s) => s.allowed && s.reasons.every((r) => r.kind === 'default'));

interface Block {
  src: string;
  dst: string;
  lines: string[];
}

/** Splits renderExplainCompat's text into its per-pair blocks and its system-default pair lines. */
function parseExplain(text: string): { blocks: Block[]; defaults: string[] } {
  const blocks: Block[] = [];
  const defaults: string[] = [];
  let inDefaults = false;
  for (const line of text.split('\n')) {
    if (line === `# ${DEFAULTS} #`) {
      inDefaults = true;
      continue;
    }
    if (/^#+$/.test(line) || line === `# ${SPECIFIC} #`) continue;
    if (inDefaults) {
      if (line) defaults.push(line);
      continue;
    }
    if (line === DASHES) {
      blocks.push({ src: '', dst: '', lines: [] });
      continue;
    }
    const b = blocks[blocks.length - 1];
    if (!b) continue;
    const m = /^Connections between (.*) => (.*):$/.exec(line);
    if (m && b.lines.length === 0) {
      b.src = m[1] as string;
      b.dst = m[2] as string;
    }
    b.lines.push(line);
  }
  // each block ends with one empty line of its own
  for (const b of blocks) while (b.lines.length > 0 && b.lines[b.lines.length - 1] === '') b.lines.pop();
  return { blocks, defaults };
}

/** The kind of network object that isolates a member of a primary network, and the network's name. */
function isolation(s: NetworkSection, display: string): string | undefined {
  if (s.kind === 'udn') return `UserDefinedNetwork '${s.name}' isolates ${display}`;
  if (s.kind === 'cudn') return `ClusterUserDefinedNetwork '${s.name}' isolates ${display}`;
  return undefined;
}

function focusKeeps(opts: FocusOptions, src: NetPod | undefined, dst: NetPod | undefined): boolean {
  const focus = opts.focusWorkloads?.length ? opts.focusWorkloads : undefined;
  if (!focus) return true;
  const peers = opts.focusWorkloadPeers?.length ? opts.focusWorkloadPeers : undefined;
  const is = (refs: string[], p: NetPod | undefined) => p !== undefined && refs.some((r) => workloadMatches(r, p));
  const ok = (self: NetPod | undefined, other: NetPod | undefined) => is(focus, self) && (!peers || is(peers, other));
  if (opts.focusDirection === 'egress') return ok(src, dst);
  if (opts.focusDirection === 'ingress') return ok(dst, src);
  return ok(src, dst) || ok(dst, src);
}

/**
 * netpol-analyzer's `--explain` with `--multiple-networks`: per network (pod network, primary UDNs, CUDNs, secondary
 * NADs) the pairs and their reasons, then the pairs only the system default allows. Pairs across isolated primary
 * networks are denied by the networks themselves: listed (on a focus connection) in the section of the (C)UDN side,
 * or else summed up by a closing note. In a NAD only MultiNetworkPolicies apply, and a direction no such policy
 * selects goes unmentioned.
 */
export function renderMultiNetworkExplain(layout: MultiNetworkLayout, req: MultiNetworkExplainRequest): string {
  const focusConn = req.focusConn;
  const restrict = focusConn ? ConnSet.of(focusConn.protocol as Protocol, focusConn.port) : undefined;
  const only = req.explainOnly;
  const sections = [...layout.sections].sort(networkOrder);
  const primaries = sections.filter((s) => s.kind !== 'nad' && s.members.length > 0);
  const out: string[] = [];
  let crossPairs = false;
  for (const section of sections) {
    const model = section.model;
    const focus = req.focusWorkloads?.length ? req.focusWorkloads : undefined;
    const focusHere = focus?.filter((f) => model.pods.some((p) => workloadMatches(f, p)));
    let pairs: Connection[] =
      focus && focusHere?.length === 0
        ? []
        : computeMatrix(model, {
            focusWorkloads: focusHere,
            focusWorkloadPeers: req.focusWorkloadPeers,
            focusDirection: req.focusDirection,
            families: [4],
            mergeEgressRanges: false,
            includeDenied: true,
          });
    if (section.kind === 'nad')
      pairs = pairs.filter((c) => c.src.endpoint.type === 'pod' && c.dst.endpoint.type === 'pod');
    const isDefault = (c: Connection) => onlyDefault(c.verdict.egress) && onlyDefault(c.verdict.ingress);
    const specific = restrict ? pairs.filter((c) => !isDefault(c)) : pairs;
    const parsed = parseExplain(renderExplainCompat(model, specific, only, restrict));
    const blocks = parsed.blocks;
    if (restrict && only !== 'deny')
      for (const c of pairs.filter(isDefault))
        blocks.push({
          src: c.src.name,
          dst: c.dst.name,
          lines: [
            `Connections between ${c.src.name} => ${c.dst.name}:`,
            '',
            'Allowed connections:',
            `\tAllowed ${restrict.toExplainString()} due to the system default (Allow all)`,
          ],
        });
    // pairs with members of other primary networks: denied by the isolation of the (C)UDN side
    if (section.kind !== 'nad')
      for (const other of primaries) {
        if (other === section) continue;
        const mine = section.model.pods;
        const theirs = other.model.pods;
        for (const a of mine)
          for (const b of theirs)
            for (const [src, dst, srcNet, dstNet] of [
              [a, b, section, other],
              [b, a, other, section],
            ] as const) {
              // a pair goes to the section of its source, unless the source is on the pod network
              const home = srcNet.kind === 'pod' ? dstNet : srcNet;
              if (home !== section || !focusKeeps(req, src, dst)) continue;
              crossPairs = true;
              if (!restrict || only === 'allow') continue;
              const why = [isolation(srcNet, src.display), isolation(dstNet, dst.display)]
                .filter(Boolean)
                .join('; and ');
              blocks.push({
                src: src.display,
                dst: dst.display,
                lines: [
                  `Connections between ${src.display} => ${dst.display}:`,
                  '',
                  'Denied connections:',
                  `\tDenied ${restrict.toExplainString()} due to existence of user defined networks:`,
                  '\t\tEgress ',
                  `\t\t\t${why}`,
                  '\t\tIngress ',
                  `\t\t\t${why}`,
                ],
              });
            }
      }
    blocks.sort((x, y) => cmp(x.src, y.src) || cmp(x.dst, y.dst));
    if (blocks.length > 0) {
      out.push(...banner(`${SPECIFIC} in ${networkTitle(section, 'pod-network')}`));
      for (const b of blocks) {
        let lines = b.lines;
        if (section.kind === 'nad')
          lines = lines
            .filter((l) => !/^\t\t(Egress|Ingress) \(Allowed\) due to the system default \(Allow all\)$/.test(l))
            .map((l) => l.replace(/^(\t+(?:- )?)NetworkPolicy '/, "$1MultiNetworkPolicy '"));
        out.push(DASHES, ...lines, '');
      }
    }
    if (parsed.defaults.length > 0 && !restrict)
      out.push(...banner(`${DEFAULTS} in ${networkTitle(section, 'pod-network')}`), ...parsed.defaults);
  }
  if (!restrict && crossPairs) out.push('', NOTE);
  return out.join('\n');
}
