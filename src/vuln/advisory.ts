import type { CvssScore } from '../core/index.js';
import type { OsvRange } from './versions/index.js';

/**
 * One advisory as Rampart stores it: OSV-shaped whatever the source format (OSV, Alpine secdb, Debian tracker),
 * so matching has one code path.
 */
export interface AdvisoryRecord {
  id: string;
  /** Where it came from: `osv`, `alpine-secdb:v3.10/main`, `debian-tracker`, … */
  source: string;
  modified: string;
  published?: string;
  /** Set when the publisher withdrew it: kept in the DB, never matched. */
  withdrawn?: string;
  summary?: string;
  details?: string;
  /** Other ids for the same issue (CVE, GHSA, …), from OSV `aliases`, `related` (AlmaLinux) and `upstream`. */
  aliases: string[];
  cvss: CvssScore[];
  /** The publisher's own rating, as written (`High`, `Important`, `unimportant`). */
  vendorSeverity?: string;
  /** RustSec `informational` (`unmaintained`, `unsound`, `notice`): reported as INFO, not as a vulnerability. */
  informational?: string;
  references: string[];
  affected: AffectedPackage[];
}

export interface AffectedPackage {
  /** OSV ecosystem with release: `Debian:12`, `Alpine:v3.10`, `AlmaLinux:9`, `PyPI`. */
  ecosystem: string;
  /** Normalised package name (see names.ts); for OS ecosystems the source package. */
  name: string;
  ranges: OsvRange[];
  versions: string[];
  cvss?: CvssScore[];
  vendorSeverity?: string;
  /** Distro statements that are not ranges: `not-fixed` (open, no fix yet), `wont-fix`. */
  fixState?: 'not-fixed' | 'wont-fix';
}
