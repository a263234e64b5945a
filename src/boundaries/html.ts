import { type Finding, resourceLabel, resourceLocation } from '../core/index.js';
import { sortFindings } from '../report/index.js';
import type { AuditResult, StatusCounts } from './audit.js';
import { namespaceOfFinding } from './audit.js';
import { EXTERNAL } from './engines.js';
import { assumedRolesText } from './summary.js';

export interface HtmlContext {
  toolVersion: string;
  now: Date;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text into HTML text or attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const CSS = `
:root{--fg:#1d2330;--muted:#5c6577;--bg:#f6f7f9;--card:#fff;--line:#dde1e8;--open:#c62828;--partial:#d98a00;--isolated:#2e7d32;--unknown:#6a5acd;--skipped:#8a94a6}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:18px 28px;background:#17202f;color:#fff}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#c5cbd6}
main{padding:20px 28px;max-width:1400px}section{margin-bottom:28px}h2{font-size:17px;margin:0 0 10px}
.tiles{display:flex;flex-wrap:wrap;gap:12px}.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px}
.tile b{display:block;font-size:24px}.tile span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.banner{padding:10px 14px;border-radius:6px;margin:10px 0;border:1px solid var(--line);background:var(--card)}
.banner.bad{border-color:var(--open);background:#fdecea}.banner.warn{border-color:var(--partial);background:#fff6e0}.banner.good{border-color:var(--isolated);background:#edf7ee}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:14px}
.ns-card{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--skipped);border-radius:8px;padding:12px 14px}
.ns-card.open{border-left-color:var(--open)}.ns-card.partial{border-left-color:var(--partial)}.ns-card.isolated{border-left-color:var(--isolated)}
.ns-card h3{margin:0 0 6px;font-size:16px;display:flex;justify-content:space-between;align-items:center}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;color:#fff;background:var(--skipped)}
.badge.open,.badge.fail{background:var(--open)}.badge.partial{background:var(--partial)}.badge.isolated,.badge.pass{background:var(--isolated)}.badge.unknown{background:var(--unknown)}
.ns-card dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:6px 0;font-size:12px}.ns-card dt{color:var(--muted)}.ns-card dd{margin:0}
.ns-card ul{margin:6px 0 0;padding-left:18px;font-size:12.5px}.ns-card li{margin:2px 0}
svg text{font:12px system-ui,sans-serif}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-bottom:8px}.filters label{font-size:12px;color:var(--muted)}
.filters select,.filters input{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:4px}
table{border-collapse:collapse;width:100%;background:var(--card);font-size:12.5px}th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef0f4}#findings th{position:sticky;top:0}table.counts{width:auto;margin-top:10px;align-self:flex-start}td.sev-CRITICAL,td.sev-HIGH{color:var(--open);font-weight:600}td.sev-MEDIUM{color:var(--partial);font-weight:600}
.reason{color:var(--muted)}.legend{font-size:12px;color:var(--muted)}details{margin-top:8px}footer{padding:12px 28px;color:var(--muted);font-size:12px}
`;

const SCRIPT = `
(function(){
  var rows=[].slice.call(document.querySelectorAll('#findings tbody tr'));
  var sel=function(id){return document.getElementById(id)};
  function apply(){
    var st=sel('f-status').value,sv=sel('f-severity').value,pl=sel('f-pillar').value,ns=sel('f-namespace').value,q=sel('f-text').value.toLowerCase();
    var shown=0;
    rows.forEach(function(r){
      var ok=(!st||r.dataset.status===st)&&(!sv||r.dataset.severity===sv)&&(!pl||r.dataset.pillar===pl)&&(!ns||r.dataset.namespace===ns)&&(!q||r.textContent.toLowerCase().indexOf(q)>=0);
      r.hidden=!ok; if(ok)shown++;
    });
    sel('f-count').textContent=shown+' of '+rows.length+' findings';
  }
  ['f-status','f-severity','f-pillar','f-namespace','f-text'].forEach(function(id){sel(id).addEventListener('input',apply)});
  [].slice.call(document.querySelectorAll('[data-filter-namespace]')).forEach(function(a){
    a.addEventListener('click',function(e){e.preventDefault();sel('f-namespace').value=a.getAttribute('data-filter-namespace');sel('f-status').value='';apply();sel('findings').scrollIntoView();});
  });
  apply();
})();
`;

function options(values: string[], all: string): string {
  return [
    `<option value="">${escapeHtml(all)}</option>`,
    ...values.map((v) => `<option>${escapeHtml(v)}</option>`),
  ].join('');
}

function tile(label: string, value: number | string, id?: string): string {
  return `<div class="tile"${id ? ` id="${id}"` : ''}><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`;
}

function countsTable(id: string, label: string, rows: Record<string, StatusCounts>): string {
  const body = Object.entries(rows)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(
      ([k, c]) =>
        `<tr><td>${escapeHtml(k)}</td><td>${c.fail}</td><td>${c.unknown}</td><td>${c.skipped}</td><td>${c.pass}</td></tr>`,
    )
    .join('');
  return `<table id="${id}" class="counts"><thead><tr><th>${label}</th><th>fail</th><th>unknown</th><th>skipped</th><th>pass</th></tr></thead><tbody>${body}</tbody></table>`;
}

function summarySection(result: AuditResult): string {
  const a = result.audit;
  const count = (s: string) => result.findings.filter((f) => f.status === s).length;
  const enf = a.enforcement;
  const cls = enf.state === 'enforced' ? 'good' : enf.state === 'unknown' ? 'warn' : 'bad';
  const notRun = a.engines.filter((e) => e.status !== 'ran');
  return `<section id="summary"><h2>Summary</h2>
<div class="tiles">${tile('open', a.summary.verdicts.open, 'count-open')}${tile('partial', a.summary.verdicts.partial, 'count-partial')}${tile('isolated', a.summary.verdicts.isolated, 'count-isolated')}${tile('fail', count('fail'))}${tile('unknown', count('unknown'))}${tile('skipped', count('skipped'))}${tile('pass', count('pass'))}${tile('input problems', result.errors.length)}</div>
<div class="banner ${cls}" id="enforcement"><b>NetworkPolicy enforcement: ${escapeHtml(enf.state)}</b> — ${escapeHtml(enf.summary)}</div>
${a.assumedRoles ? `<div class="banner warn" id="assumed-roles"><b>Assumed</b> — ${escapeHtml(assumedRolesText(a.assumedRoles))}</div>` : ''}
${
  notRun.length
    ? `<div class="banner warn" id="not-checked"><b>Not checked in this run</b><ul>${notRun
        .map(
          (e) =>
            `<li>${escapeHtml(e.engine)}: ${escapeHtml(e.purpose)} — ${escapeHtml(e.status)}: ${escapeHtml(e.reason ?? '')}</li>`,
        )
        .join('')}</ul></div>`
    : ''
}
<div class="tiles">${countsTable('by-pillar', 'Pillar', a.summary.byPillar)}${countsTable('by-namespace', 'Namespace', a.summary.byNamespace)}</div></section>`;
}

function cardsSection(result: AuditResult): string {
  const cards = result.audit.namespaces.map((n) => {
    const verdict = n.verdict ?? 'not judged';
    const cls = n.verdict ?? 'system';
    const reasons = n.reasons.slice(0, 8);
    const more = n.reasons.length - reasons.length;
    return `<article class="ns-card ${cls}" data-namespace="${escapeHtml(n.namespace)}" data-verdict="${escapeHtml(verdict)}">
<h3><span>${escapeHtml(n.namespace)}</span><span class="badge ${cls}">${escapeHtml(verdict)}</span></h3>
<dl><dt>role</dt><dd>${escapeHtml(n.role)}</dd><dt>enforce</dt><dd>${escapeHtml(n.podSecurity.enforce)}</dd><dt>audit / warn</dt><dd>${escapeHtml(n.podSecurity.audit)} / ${escapeHtml(n.podSecurity.warn)}</dd><dt>workloads</dt><dd>${n.workloads}</dd></dl>
<ul>${reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}${more > 0 ? `<li>… ${more} more</li>` : ''}</ul>
<p><a href="#findings" data-filter-namespace="${escapeHtml(n.namespace)}">show findings</a></p></article>`;
  });
  return `<section id="namespaces"><h2>Namespaces</h2><div class="cards">${cards.join('\n')}</div></section>`;
}

/** Above this many nodes the circle picture is unreadable; the table alone is shown. */
const MAX_PICTURE_NODES = 60;

/** Namespace-to-namespace reachability as a circle of nodes with arrows; tenant-to-tenant arrows in red. */
export function reachabilitySvg(result: AuditResult): string {
  const a = result.audit;
  if (!a.reachability) {
    return `<p class="banner warn" id="reachability-unknown">Reachability not computed: ${escapeHtml(a.reachabilityUnknown ?? 'unknown')}</p>`;
  }
  const names = [
    ...new Set([...a.namespaces.map((n) => n.namespace), ...a.reachability.flatMap((e) => [e.from, e.to])]),
  ]
    .filter((n) => n !== EXTERNAL)
    .sort();
  const hasExternal = a.reachability.some((e) => e.from === EXTERNAL || e.to === EXTERNAL);
  const nodes = hasExternal ? [...names, EXTERNAL] : names;
  const between = a.reachability.filter((e) => e.from !== e.to);
  const rows = between
    .map(
      (e) => `<tr><td>${escapeHtml(e.from)}</td><td>${escapeHtml(e.to)}</td><td>${escapeHtml(e.connections)}</td></tr>`,
    )
    .join('');
  const table = `<details><summary>Allowed connections between namespaces (${between.length})</summary><table id="reachability-table"><thead><tr><th>from</th><th>to</th><th>allowed</th></tr></thead><tbody>${rows}</tbody></table></details>`;
  if (nodes.length > MAX_PICTURE_NODES) {
    return `<p class="banner warn" id="reachability-too-big">${nodes.length} namespaces are too many for a readable picture; the allowed connections are listed below.</p>${table}`;
  }
  const size = Math.max(480, 160 + nodes.length * 50);
  const c = size / 2;
  const radius = c - 90;
  const pos = new Map<string, { x: number; y: number }>();
  nodes.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / nodes.length - Math.PI / 2;
    pos.set(n, { x: c + radius * Math.cos(angle), y: c + radius * Math.sin(angle) });
  });
  const verdictOf = new Map(a.namespaces.map((n) => [n.namespace, n.verdict]));
  const roles = new Map(a.namespaces.map((n) => [n.namespace, n.role]));
  const tenant = (n: string) => roles.get(n) === 'tenant';
  const edges = a.reachability
    .filter((e) => e.from !== e.to)
    .map((e) => {
      const p = pos.get(e.from);
      const q = pos.get(e.to);
      if (!p || !q) return '';
      const dx = q.x - p.x;
      const dy = q.y - p.y;
      const len = Math.hypot(dx, dy) || 1;
      const r = 26;
      // Offset both ways of a pair sideways so A→B and B→A do not overlap.
      const ox = (-dy / len) * 5;
      const oy = (dx / len) * 5;
      const x1 = p.x + (dx / len) * r + ox;
      const y1 = p.y + (dy / len) * r + oy;
      const x2 = q.x - (dx / len) * (r + 6) + ox;
      const y2 = q.y - (dy / len) * (r + 6) + oy;
      const crossTenant = tenant(e.from) && tenant(e.to);
      return `<line class="edge${crossTenant ? ' cross-tenant' : ''}" data-from="${escapeHtml(e.from)}" data-to="${escapeHtml(e.to)}" x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" stroke="${crossTenant ? '#c62828' : '#8a94a6'}" stroke-width="${crossTenant ? 2 : 1.3}" marker-end="url(#${crossTenant ? 'arrow-red' : 'arrow'})"><title>${escapeHtml(`${e.from} → ${e.to}: ${e.connections}`)}</title></line>`;
    })
    .join('');
  const fill: Record<string, string> = { open: '#c62828', partial: '#d98a00', isolated: '#2e7d32' };
  const circles = nodes
    .map((n) => {
      const p = pos.get(n) as { x: number; y: number };
      const v = verdictOf.get(n);
      const color = n === EXTERNAL ? '#17202f' : v ? (fill[v] ?? '#8a94a6') : '#8a94a6';
      return `<g class="node" data-namespace="${escapeHtml(n)}"><circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="24" fill="${color}" fill-opacity="0.9"/><text x="${p.x.toFixed(1)}" y="${(p.y + 40).toFixed(1)}" text-anchor="middle">${escapeHtml(n)}</text></g>`;
    })
    .join('');
  const marker = (id: string, color: string) =>
    `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${color}"/></marker>`;
  const note =
    a.enforcement.state === 'enforced'
      ? ''
      : `<p class="banner bad">Computed from the policies as written; NetworkPolicy is ${escapeHtml(a.enforcement.state)}, so in the cluster every pod can reach every other.</p>`;
  const legend =
    '<p class="legend"><svg width="30" height="10"><line x1="0" y1="5" x2="30" y2="5" stroke="#c62828" stroke-width="2"/></svg> tenant → tenant &nbsp; <svg width="30" height="10"><line x1="0" y1="5" x2="30" y2="5" stroke="#8a94a6" stroke-width="1.3"/></svg> other allowed traffic &nbsp; node colour = verdict (red open, amber partial, green isolated, grey not judged, dark external)</p>';
  return `${note}${legend}<svg id="reachability" role="img" aria-label="namespace reachability" xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}"><defs>${marker('arrow', '#8a94a6')}${marker('arrow-red', '#c62828')}</defs>${edges}${circles}</svg>
${table}`;
}

function findingRow(f: Finding): string {
  const loc = resourceLocation(f.resource);
  const where = loc ? `${loc.file}${loc.line !== undefined ? `:${loc.line}` : ''}` : '';
  const ns = namespaceOfFinding(f);
  const title =
    f.status === 'unknown' || f.status === 'skipped'
      ? `${escapeHtml(f.title)}<div class="reason">${escapeHtml(f.reason ?? '')}</div>`
      : escapeHtml(f.title);
  return `<tr data-status="${f.status}" data-severity="${f.severity}" data-pillar="${escapeHtml(f.pillar ?? 'other')}" data-namespace="${escapeHtml(ns)}"><td><span class="badge ${f.status}">${f.status}</span></td><td class="sev-${f.severity}">${f.severity}</td><td>${escapeHtml(f.pillar ?? '')}</td><td>${escapeHtml(ns)}</td><td><code>${escapeHtml(f.ruleId)}</code></td><td>${escapeHtml(resourceLabel(f.resource))}</td><td>${title}</td><td>${escapeHtml(where)}</td></tr>`;
}

function findingsSection(result: AuditResult): string {
  const findings = sortFindings(result.findings);
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  return `<section id="findings-section"><h2>Findings</h2>
<div class="filters">
<label>status <select id="f-status">${options(['fail', 'unknown', 'skipped', 'pass'], 'all')}</select></label>
<label>severity <select id="f-severity">${options(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'], 'all')}</select></label>
<label>pillar <select id="f-pillar">${options(uniq(findings.map((f) => f.pillar ?? 'other')), 'all')}</select></label>
<label>namespace <select id="f-namespace">${options(uniq(findings.map(namespaceOfFinding)), 'all')}</select></label>
<label>text <input id="f-text" type="search" placeholder="filter"></label>
<span id="f-count"></span></div>
<table id="findings"><thead><tr><th>status</th><th>severity</th><th>pillar</th><th>namespace</th><th>rule</th><th>resource</th><th>title</th><th>location</th></tr></thead>
<tbody>${findings.map(findingRow).join('\n')}</tbody></table>
${
  result.errors.length
    ? `<details open id="input-problems"><summary>Input problems (${result.errors.length})</summary><ul>${result.errors
        .map(
          (e) =>
            `<li>${escapeHtml(e.level)}: ${escapeHtml(e.file ?? '')}${e.line !== undefined ? `:${e.line}` : ''} ${escapeHtml(e.message)}</li>`,
        )
        .join('')}</ul></details>`
    : ''
}</section>`;
}

/**
 * The audit as one self-contained HTML file: inline CSS, script and SVG, a Content-Security-Policy that forbids
 * every external load, so opening it makes no request.
 */
export function renderAuditHtml(result: AuditResult, ctx: HtmlContext): string {
  const title = `Rampart audit — ${result.targets.join(' ')}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><header><h1>${escapeHtml(title)}</h1><p>rampart ${escapeHtml(ctx.toolVersion)} · generated ${escapeHtml(ctx.now.toISOString())}</p></header>
<main>
${summarySection(result)}
${cardsSection(result)}
<section id="reachability-section"><h2>Namespace reachability</h2>${reachabilitySvg(result)}</section>
${findingsSection(result)}
</main>
<footer>Unknown means the data for a verdict was missing; it is never counted as a pass.</footer>
<script>${SCRIPT}</script>
</body></html>
`;
}
