import type { InventoryPackage } from '../../core/index.js';
import type { Cataloger } from './types.js';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const SENTINEL_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const SENTINEL_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

/** Offset and size of the `.go.buildinfo` section of a 64- or 32-bit little/big-endian ELF. */
function elfSection(data: Buffer, wanted: string): { offset: number; size: number } | undefined {
  if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = data[4] === 2;
  const le = data[5] === 1;
  const u16 = (o: number) => (le ? data.readUInt16LE(o) : data.readUInt16BE(o));
  const u32 = (o: number) => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const uN = (o: number) => (is64 ? Number(le ? data.readBigUInt64LE(o) : data.readBigUInt64BE(o)) : u32(o));
  const shoff = uN(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);
  if (!shoff || shoff + shnum * shentsize > data.length || shstrndx >= shnum) return undefined;
  const section = (i: number) => {
    const base = shoff + i * shentsize;
    return {
      name: u32(base),
      offset: uN(base + (is64 ? 0x18 : 0x10)),
      size: uN(base + (is64 ? 0x20 : 0x14)),
    };
  };
  const strtab = section(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const start = strtab.offset + s.name;
    const end = data.indexOf(0, start);
    if (end === -1) continue;
    if (data.toString('latin1', start, end) === wanted) return { offset: s.offset, size: s.size };
  }
  return undefined;
}

function readVarString(data: Buffer, at: number): [string, number] | undefined {
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
  return [data.toString('utf8', p, p + len), p + len];
}

export interface GoBuildInfo {
  goVersion?: string;
  modinfo: string;
}

/**
 * Module build info of a Go binary: the `.go.buildinfo` header (Go ≥ 1.18 inline strings), else the module-info
 * text between its 16-byte sentinels anywhere in the file.
 */
export function readGoBuildInfo(data: Buffer): GoBuildInfo | undefined {
  if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const section = elfSection(data, '.go.buildinfo');
  let goVersion: string | undefined;
  if (section) {
    const at = data.indexOf(MAGIC, section.offset);
    if (at !== -1 && at < section.offset + Math.max(section.size, 64)) {
      const flags = data[at + 15] ?? 0;
      if ((flags & 0x2) !== 0) {
        const v = readVarString(data, at + 32);
        if (v) {
          goVersion = v[0];
          const m = readVarString(data, v[1]);
          if (m && m[0].length >= 33) return { goVersion, modinfo: m[0].slice(16, -16) };
        }
      }
    }
  }
  // Some linkers leave no section table or an older header: the module info sits between fixed sentinels.
  const start = data.indexOf(SENTINEL_START);
  if (start === -1) return goVersion ? { goVersion, modinfo: '' } : undefined;
  const end = data.indexOf(SENTINEL_END, start + 16);
  if (end === -1 || end - start > 1024 * 1024) return undefined;
  const modinfo = data.toString('utf8', start + 16, end);
  goVersion ??= findGoVersion(data);
  return goVersion ? { goVersion, modinfo } : { modinfo };
}

/** runtime.buildVersion (`go1.22.5`) somewhere in the binary: the first plausible `go1.N[.N]` string. */
function findGoVersion(data: Buffer): string | undefined {
  const needle = Buffer.from('go1.');
  for (let at = data.indexOf(needle); at !== -1; at = data.indexOf(needle, at + 4)) {
    const m = /^go1\.\d{1,2}(?:\.\d{1,2})?(?![\w.])/.exec(data.toString('latin1', at, at + 16));
    if (m && (at === 0 || !/[\w.]/.test(String.fromCharCode(data[at - 1] ?? 0)))) return m[0];
  }
  return undefined;
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

export const goBinaryCataloger: Cataloger = {
  name: 'go-binary',
  wants: (_path, mode, size) => (mode & 0o111) !== 0 && size > 4096,
  magic: (head) => head.readUInt32BE(0) === 0x7f454c46,
  catalog(file) {
    const info = readGoBuildInfo(file.data);
    return info ? { packages: goPackages(info, `/${file.path}`) } : {};
  },
};
