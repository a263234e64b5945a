import { readFileSync } from 'node:fs';
import { InputError } from '../core/index.js';

/** One VEX statement reduced to what suppression needs. */
export interface VexStatement {
  /** Vulnerability id and its aliases. */
  ids: string[];
  /** Product purls the statement applies to; an empty list means any product in the document's scope. */
  products: string[];
  /** Sub-components (package purls) inside an image product. */
  subcomponents: string[];
  status: 'not_affected' | 'affected' | 'fixed' | 'under_investigation';
  justification?: string;
  impactStatement?: string;
  timestamp?: string;
  /** `file#statements[3]`, for the output. */
  origin: string;
}

const STATUSES = new Set(['not_affected', 'affected', 'fixed', 'under_investigation']);

/** Reads OpenVEX 0.2 or CycloneDX VEX (`vulnerabilities[].analysis`). */
export function loadVex(path: string): VexStatement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(`cannot read VEX document: ${(err as Error).message}`, { file: path });
  }
  if (typeof doc !== 'object' || doc === null)
    throw new InputError('VEX document must be a JSON object', { file: path });
  const d = doc as Record<string, unknown>;
  if (Array.isArray(d.statements)) return openVexStatements(d, path);
  if (Array.isArray(d.vulnerabilities)) return cycloneDxStatements(d, path);
  throw new InputError('neither OpenVEX (statements[]) nor CycloneDX VEX (vulnerabilities[])', { file: path });
}

function openVexStatements(d: Record<string, unknown>, file: string): VexStatement[] {
  const docTime = typeof d.timestamp === 'string' ? d.timestamp : undefined;
  return (d.statements as unknown[]).map((raw, i) => {
    const field = `statements[${i}]`;
    const s = raw as Record<string, unknown>;
    const vuln = s?.vulnerability as Record<string, unknown> | undefined;
    if (!vuln || typeof vuln.name !== 'string') throw new InputError('missing vulnerability.name', { file, field });
    if (typeof s.status !== 'string' || !STATUSES.has(s.status)) {
      throw new InputError(`status must be one of ${[...STATUSES].join(', ')}`, { file, field: `${field}.status` });
    }
    const products: string[] = [];
    const subcomponents: string[] = [];
    for (const p of (s.products as unknown[] | undefined) ?? []) {
      const prod = p as Record<string, unknown>;
      if (typeof prod?.['@id'] === 'string') products.push(prod['@id']);
      for (const sc of (prod?.subcomponents as unknown[] | undefined) ?? []) {
        const id = (sc as Record<string, unknown>)?.['@id'];
        if (typeof id === 'string') subcomponents.push(id);
      }
    }
    const aliases = Array.isArray(vuln.aliases) ? vuln.aliases.filter((a): a is string => typeof a === 'string') : [];
    return {
      ids: [vuln.name, ...aliases],
      products,
      subcomponents,
      status: s.status as VexStatement['status'],
      ...(typeof s.justification === 'string' ? { justification: s.justification } : {}),
      ...(typeof s.impact_statement === 'string' ? { impactStatement: s.impact_statement } : {}),
      ...(typeof s.timestamp === 'string' ? { timestamp: s.timestamp } : docTime ? { timestamp: docTime } : {}),
      origin: `${file}#${field}`,
    };
  });
}

const CDX_STATE: Record<string, VexStatement['status']> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

function cycloneDxStatements(d: Record<string, unknown>, file: string): VexStatement[] {
  const out: VexStatement[] = [];
  (d.vulnerabilities as unknown[]).forEach((raw, i) => {
    const v = raw as Record<string, unknown>;
    const analysis = v?.analysis as Record<string, unknown> | undefined;
    if (typeof v?.id !== 'string' || !analysis || typeof analysis.state !== 'string') return;
    const status = CDX_STATE[analysis.state];
    if (!status)
      throw new InputError(`unknown analysis.state ${analysis.state}`, { file, field: `vulnerabilities[${i}]` });
    const refs = ((v.affects as unknown[] | undefined) ?? []).flatMap((a) => {
      const ref = (a as Record<string, unknown>)?.ref;
      // A BOM-Link `urn:cdx:…#<bom-ref>` names a component by its bom-ref, which is usually its purl.
      return typeof ref === 'string' ? [decodeURIComponent(ref.replace(/^urn:cdx:[^#]*#/, ''))] : [];
    });
    out.push({
      ids: [v.id],
      products: [],
      subcomponents: refs,
      status,
      ...(typeof analysis.justification === 'string' ? { justification: analysis.justification } : {}),
      ...(typeof analysis.detail === 'string' ? { impactStatement: analysis.detail } : {}),
      origin: `${file}#vulnerabilities[${i}]`,
    });
  });
  return out;
}

interface Purl {
  type: string;
  namespaceName: string;
  version?: string;
  qualifiers: Map<string, string>;
}

function parsePurl(text: string): Purl | undefined {
  const m = /^pkg:([^/]+)\/([^@?#]+)(?:@([^?#]*))?(?:\?([^#]*))?/.exec(text);
  if (!m) return undefined;
  const qualifiers = new Map<string, string>();
  for (const pair of (m[4] ?? '').split('&').filter(Boolean)) {
    const [k = '', v = ''] = pair.split('=');
    qualifiers.set(k.toLowerCase(), decodeURIComponent(v));
  }
  return {
    type: (m[1] as string).toLowerCase(),
    namespaceName: decodeURIComponent(m[2] as string),
    ...(m[3] ? { version: decodeURIComponent(m[3]) } : {}),
    qualifiers,
  };
}

/**
 * A statement's purl matches a target purl when type and name agree, its version (if any) is the target's, and
 * every qualifier it has is on the target with the same value (extra target qualifiers are ignored).
 */
export function purlMatches(pattern: string, target: string): boolean {
  const p = parsePurl(pattern);
  const t = parsePurl(target);
  if (!p || !t) return pattern === target;
  if (p.type !== t.type || p.namespaceName !== t.namespaceName) return false;
  if (p.version !== undefined && p.version.replace(/^v/, '') !== (t.version ?? '').replace(/^v/, '')) return false;
  for (const [k, v] of p.qualifiers) if (t.qualifiers.get(k) !== v) return false;
  return true;
}

/**
 * The statement that decides a (vulnerability, package) pair in an image, the latest by timestamp winning.
 * Image products (`pkg:oci/…`) apply to the whole image unless sub-components narrow them; a product that is a
 * component of the image (e.g. a Go binary's main module) applies to its listed sub-components.
 */
export function vexDecision(
  statements: VexStatement[],
  vulnIds: string[],
  packagePurl: string | undefined,
  imagePurls: string[],
  inventoryPurls: string[] = [],
): VexStatement | undefined {
  const ids = new Set(vulnIds);
  let best: VexStatement | undefined;
  for (const s of statements) {
    if (!s.ids.some((id) => ids.has(id))) continue;
    const packageHit = packagePurl !== undefined && s.subcomponents.some((sc) => purlMatches(sc, packagePurl));
    const productIsPackage = packagePurl !== undefined && s.products.some((p) => purlMatches(p, packagePurl));
    const productIsImage = s.products.some((p) => imagePurls.some((img) => purlMatches(p, img)));
    const productInImage = s.products.some((p) => inventoryPurls.some((inv) => purlMatches(p, inv)));
    const applies =
      productIsPackage ||
      (productIsImage && (s.subcomponents.length === 0 || packageHit)) ||
      (productInImage && packageHit) ||
      (s.products.length === 0 && packageHit);
    if (!applies) continue;
    if (!best || (s.timestamp ?? '') >= (best.timestamp ?? '')) best = s;
  }
  return best;
}
