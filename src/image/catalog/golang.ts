import type { InventoryPackage } from '../../core/index.js';

export const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
export const GO_SENTINEL_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
export const GO_SENTINEL_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

export interface GoBuildInfo {
  goVersion?: string;
  modinfo: string;
}

/** A varint-length-prefixed byte string at `at`: [start, end) of its bytes. */
function varBytes(data: Buffer, at: number): [number, number] | undefined {
  let len = 0;
  let shift = 0;
  let p = at;
  while (p < data.length) {
    const b = data[p++] as number;
    len |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift > 28) return undefined;
  }
  if (p + len > data.length) return undefined;
  return [p, p + len];
}

/**
 * The `.go.buildinfo` header at the start of `data` (Go ≥ 1.18: version and module info inline as varint-prefixed
 * strings after 32 bytes). `strict` also demands a plausible version and sentinel-wrapped module info, for headers
 * found by their magic alone (no section table to vouch for them).
 */
export function parseInlineBuildInfo(data: Buffer, strict: boolean): GoBuildInfo | undefined {
  if (data.length < 33 || !data.subarray(0, 14).equals(GO_BUILDINFO_MAGIC)) return undefined;
  const ptrSize = data[14] ?? 0;
  const flags = data[15] ?? 0;
  if ((flags & 0x2) === 0 || (strict && ptrSize !== 4 && ptrSize !== 8)) return undefined;
  const v = varBytes(data, 32);
  if (!v) return undefined;
  const goVersion = data.toString('utf8', v[0], v[1]);
  if (strict && !/^(go1\.|devel)/.test(goVersion)) return undefined;
  const m = varBytes(data, v[1]);
  if (!m || m[1] - m[0] < 33) return { goVersion, modinfo: '' };
  if (strict && !data.subarray(m[0], m[0] + 16).equals(GO_SENTINEL_START)) return { goVersion, modinfo: '' };
  return { goVersion, modinfo: data.toString('utf8', m[0] + 16, m[1] - 16) };
}

/** A plausible runtime.buildVersion (`go1.22.5`) at `at` of `window`, preceded by a non-word byte. */
export function goVersionAt(window: Buffer, at: number): string | undefined {
  const m = /^go1\.\d{1,2}(?:\.\d{1,2})?(?![\w.])/.exec(window.toString('latin1', at, at + 16));
  if (!m) return undefined;
  if (at > 0 && /[\w.]/.test(String.fromCharCode(window[at - 1] ?? 0))) return undefined;
  return m[0];
}

/** `path`, `mod`, `dep`, `=>` lines of modinfo → packages (replacements win; `(devel)` main modules skipped). */
export function goPackages(info: GoBuildInfo, location: string): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  let last: InventoryPackage | undefined;
  for (const line of info.modinfo.split('\n')) {
    const [kind, path, version] = line.split('\t');
    if ((kind === 'mod' || kind === 'dep') && path) {
      last = { type: 'golang', name: path, version: version ?? '', locations: [location] };
      if (kind === 'mod') last.mainModule = true;
      if (!(kind === 'mod' && (version === '(devel)' || !version))) out.push(last);
    } else if (kind === '=>' && last && path) {
      last.name = path;
      last.version = version ?? '';
    }
  }
  if (info.goVersion) {
    out.push({ type: 'golang', name: 'stdlib', version: info.goVersion.replace(/^go/, 'v'), locations: [location] });
  }
  return out;
}
