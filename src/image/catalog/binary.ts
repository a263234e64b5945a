import { inflateSync } from 'node:zlib';
import type { InventoryPackage } from '../../core/index.js';
import {
  GO_BUILDINFO_MAGIC,
  GO_SENTINEL_END,
  GO_SENTINEL_START,
  type GoBuildInfo,
  goPackages,
  goVersionAt,
  parseInlineBuildInfo,
} from './golang.js';
import { type Capture, captureComplete, StreamScanner } from './stream-scan.js';
import type { Cataloger, FileFindings, FileScan, PendingScan } from './types.js';

const GO_SECTION = Buffer.from('.go.buildinfo\0', 'latin1');
/**
 * One needle finds both the build-info magic (`\xff Go buildinf:`, 6 bytes before) and the section name
 * (`.go.buildinfo`, 5 bytes before). Buffer.indexOf is several times faster on needles that start with a rare
 * byte than on ones starting with 0xff, a space or a dot, which are everywhere in machine code.
 */
const GO_NEEDLE = Buffer.from('uildinf', 'latin1');
const DEP_SECTION = Buffer.from('.dep-v0\0', 'latin1');
const GO_VERSION_PREFIX = Buffer.from('go1.', 'latin1');
/** Bytes kept after a build-info magic: header plus version and module strings (hundreds of deps fit). */
const GO_HEADER_WINDOW = 256 * 1024;
const MAX_GO_CANDIDATES = 8;
const MAX_VERSION_CANDIDATES = 64;
const MAX_MODINFO = 1024 * 1024;
/** cargo-auditable data is a few KB compressed; anything far larger is not what we think. */
const MAX_DEP_SECTION = 8 * 1024 * 1024;
const MAX_DEP_JSON = 64 * 1024 * 1024;

interface ElfHeader {
  is64: boolean;
  le: boolean;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

interface Section {
  name: number;
  offset: number;
  size: number;
}

function parseElfHeader(h: Buffer): ElfHeader | undefined {
  if (h.length < 52 || h.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = h[4] === 2;
  const le = h[5] === 1;
  if (is64 && h.length < 64) return undefined;
  const u16 = (o: number) => (le ? h.readUInt16LE(o) : h.readUInt16BE(o));
  const shoff = is64
    ? Number(le ? h.readBigUInt64LE(0x28) : h.readBigUInt64BE(0x28))
    : le
      ? h.readUInt32LE(0x20)
      : h.readUInt32BE(0x20);
  return {
    is64,
    le,
    shoff,
    shentsize: u16(is64 ? 0x3a : 0x2e),
    shnum: u16(is64 ? 0x3c : 0x30),
    shstrndx: u16(is64 ? 0x3e : 0x32),
  };
}

function parseSections(h: ElfHeader, table: Buffer): Section[] {
  const out: Section[] = [];
  const u32 = (o: number) => (h.le ? table.readUInt32LE(o) : table.readUInt32BE(o));
  const uN = (o: number) => (h.is64 ? Number(h.le ? table.readBigUInt64LE(o) : table.readBigUInt64BE(o)) : u32(o));
  for (let i = 0; i < h.shnum; i++) {
    const base = i * h.shentsize;
    if (base + (h.is64 ? 0x28 : 0x18) > table.length) break;
    out.push({ name: u32(base), offset: uN(base + (h.is64 ? 0x18 : 0x10)), size: uN(base + (h.is64 ? 0x20 : 0x14)) });
  }
  return out;
}

/**
 * Streams one ELF file once and finds Go module build info (`.go.buildinfo`, else the module-info sentinels) and
 * cargo-auditable dependency data (`.dep-v0`, zlib-compressed JSON). Only small windows around what it looks for
 * are copied. Section names are recognised by where their strings sit: an occurrence of `.dep-v0\0` at
 * shstrtab + sh_name. When the section table comes at the end of the file (GNU ld, lld), `.dep-v0` has already
 * passed: `finish` then asks for that range and the layer is read a second time for it.
 */
export class ElfScan implements FileScan {
  private readonly s = new StreamScanner();
  private header?: ElfHeader;
  private sections?: Section[];
  private readonly depNames: number[] = [];
  private readonly goCandidates: Capture[] = [];
  private readonly versionCandidates: Array<{ at: number; c: Capture }> = [];
  private sentinel?: Capture;
  private dep?: { section: Section; capture?: Capture };

  constructor(
    private readonly path: string,
    private readonly size: number,
  ) {
    this.s.capture(0, Math.min(64, size), (c) => this.onHeader(c.buf));
    this.s.watch(GO_NEEDLE, (at) => {
      if (at < 6 || this.goCandidates.length >= MAX_GO_CANDIDATES) return;
      this.goCandidates.push(this.window(at - 6, GO_HEADER_WINDOW));
    });
    this.s.watch(
      GO_SENTINEL_START,
      (at) => {
        this.sentinel ??= this.window(at + 16, MAX_MODINFO);
      },
      [2, 6],
    );
    this.s.watch(GO_VERSION_PREFIX, (at) => {
      if (this.versionCandidates.length < MAX_VERSION_CANDIDATES) {
        const from = Math.max(0, at - 1);
        this.versionCandidates.push({ at: at - from, c: this.window(from, 17) });
      }
    });
    this.s.watch(
      DEP_SECTION,
      (at) => {
        if (this.depNames.length < 16) this.depNames.push(at);
        this.locateDep();
      },
      [1, DEP_SECTION.length],
    );
  }

  push(chunk: Buffer): void {
    if (this.s.pos === 0 && chunk.length >= 4 && chunk.readUInt32BE(0) !== 0x7f454c46) return;
    this.s.push(chunk);
  }

  finish(): FileFindings | PendingScan {
    if (!this.header) return {};
    const location = `/${this.path}`;
    const found: FileFindings = {};
    const go = this.goBuildInfo();
    if (go) found.packages = goPackages(go, location);
    const dep = this.dep;
    if (!dep) return found;
    if (dep.section.size > MAX_DEP_SECTION) {
      found.problems = [`.dep-v0 section of ${dep.section.size} bytes not read (limit ${MAX_DEP_SECTION})`];
      return found;
    }
    const addRust = (data: Buffer): FileFindings => {
      try {
        const rust = parseAuditableData(data, location);
        if (rust.length > 0) found.packages = [...(found.packages ?? []), ...rust];
      } catch (err) {
        found.problems = [`cargo-auditable data: ${err instanceof Error ? err.message : String(err)}`];
      }
      return found;
    };
    if (dep.capture && captureComplete(dep.capture)) return addRust(dep.capture.buf);
    return {
      needs: [{ offset: dep.section.offset, length: dep.section.size }],
      complete: ([part]) => addRust(part ?? Buffer.alloc(0)),
    };
  }

  private window(start: number, length: number): Capture {
    return this.s.capture(start, Math.max(0, Math.min(length, this.size - start)));
  }

  private onHeader(buf: Buffer): void {
    const h = parseElfHeader(buf);
    if (!h) return;
    this.header = h;
    const bytes = h.shnum * h.shentsize;
    if (h.shoff > 0 && h.shnum > 0 && h.shstrndx < h.shnum && h.shoff + bytes <= this.size && bytes <= 4 << 20) {
      this.s.capture(h.shoff, bytes, (c) => {
        this.sections = parseSections(h, c.buf);
        this.locateDep();
      });
    }
  }

  /** The section whose name string starts at one of `nameOffsets` (absolute file offsets of a match). */
  private sectionNamed(nameOffsets: number[]): Section | undefined {
    const h = this.header;
    const strtab = h && this.sections?.[h.shstrndx];
    if (!strtab || nameOffsets.length === 0) return undefined;
    return this.sections?.find((s) => nameOffsets.includes(strtab.offset + s.name) && s.size > 0);
  }

  private locateDep(): void {
    if (this.dep) return;
    const section = this.sectionNamed(this.depNames);
    if (!section) return;
    this.dep = { section };
    // Copy it on the way if it is still ahead (section table before the data, as some linkers write it).
    if (section.size <= MAX_DEP_SECTION && section.offset >= this.s.pos) {
      this.dep.capture = this.window(section.offset, section.size);
    }
  }

  /** Go module build info found so far (all of it once the file has passed). */
  goBuildInfo(): GoBuildInfo | undefined {
    const names = this.goCandidates
      .filter((c) => c.buf.subarray(1, Math.min(c.filled, 1 + GO_SECTION.length)).equals(GO_SECTION))
      .map((c) => c.start + 1);
    const section = this.sectionNamed(names);
    let goVersion: string | undefined;
    for (const c of this.goCandidates) {
      if (!c.buf.subarray(0, Math.min(c.filled, 14)).equals(GO_BUILDINFO_MAGIC)) continue;
      const inSection = section && c.start >= section.offset && c.start < section.offset + Math.max(section.size, 64);
      if (section && !inSection) continue;
      const info = parseInlineBuildInfo(c.buf.subarray(0, c.filled), !section);
      if (!info) continue;
      if (info.modinfo) return info;
      goVersion ??= info.goVersion;
    }
    // Some linkers leave no section table or an older header: the module info sits between fixed sentinels.
    const s = this.sentinel;
    if (!s) return goVersion ? { goVersion, modinfo: '' } : undefined;
    const window = s.buf.subarray(0, s.filled);
    const end = window.indexOf(GO_SENTINEL_END);
    if (end === -1) return undefined;
    goVersion ??= this.firstGoVersion();
    const modinfo = window.toString('utf8', 0, end);
    return goVersion ? { goVersion, modinfo } : { modinfo };
  }

  private firstGoVersion(): string | undefined {
    for (const { at, c } of this.versionCandidates) {
      const v = goVersionAt(c.buf.subarray(0, c.filled), at);
      if (v) return v;
    }
    return undefined;
  }
}

interface AuditablePackage {
  name?: unknown;
  version?: unknown;
  kind?: unknown;
}

/**
 * cargo-auditable's `.dep-v0`: zlib-compressed JSON `{"packages":[{name, version, source, kind?, root?, …}]}`.
 * Build-time dependencies (`kind: "build"`) are not in the binary and are left out, as Trivy does.
 */
export function parseAuditableData(compressed: Buffer, location: string): InventoryPackage[] {
  const json = inflateSync(compressed, { maxOutputLength: MAX_DEP_JSON }).toString('utf8');
  const doc = JSON.parse(json) as { packages?: unknown };
  if (!Array.isArray(doc.packages)) throw new Error('no "packages" array');
  const out: InventoryPackage[] = [];
  for (const p of doc.packages as AuditablePackage[]) {
    if (typeof p?.name !== 'string' || typeof p.version !== 'string') continue;
    if (p.kind === 'build') continue;
    out.push({ type: 'cargo', name: p.name, version: p.version, locations: [location] });
  }
  return out;
}

/** Build info of a whole in-memory file (tests, `dir:` sources). */
export function scanElfBuffer(path: string, data: Buffer): FileFindings {
  const scan = new ElfScan(path, data.length);
  scan.push(data);
  const r = scan.finish();
  if (!('needs' in r)) return r;
  return r.complete(r.needs.map((n) => data.subarray(n.offset, n.offset + n.length)));
}

/** Go module info for an in-memory binary (kept for callers that have the file). */
export function readGoBuildInfo(data: Buffer): GoBuildInfo | undefined {
  const scan = new ElfScan('', data.length);
  scan.push(data);
  return scan.goBuildInfo();
}

export const elfBinaryCataloger: Cataloger = {
  name: 'binary',
  wants: (_path, mode, size) => (mode & 0o111) !== 0 && size > 4096,
  magic: (head) => head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46,
  catalog: (file) => scanElfBuffer(file.path, file.data),
  scan: (path, size) => new ElfScan(path, size),
};
