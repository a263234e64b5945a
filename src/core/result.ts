import type { InputProblem } from './errors.js';
import type { Finding } from './finding.js';

/** What every engine returns to the CLI and the writers. */
export interface ScanResult {
  /** What ran, e.g. `netpol lint`. */
  command: string;
  /** What was scanned (paths, image references, cluster names). */
  targets: string[];
  findings: Finding[];
  /** Inputs that could not be read; a non-empty list makes the exit code 2. */
  errors: InputProblem[];
}
