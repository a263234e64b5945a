import type { ScanResult } from '../core/index.js';

export interface WriterContext {
  toolVersion: string;
  now: Date;
  /** Colour escapes in the table writer. */
  color: boolean;
  /** Include pass and skipped findings in outputs that normally show problems only (table, SARIF, ASFF). */
  showPassed: boolean;
  /** ASFF: account and Region the findings are imported into; product ARN derived unless given. */
  aws?: { accountId?: string; region?: string; partition?: string; productArn?: string };
  /** Cluster name, where known: ASFF resource ids and hub grouping use it. */
  cluster?: string;
}

export type Writer = (result: ScanResult, ctx: WriterContext) => string;

/** Colour only on a TTY and never with NO_COLOR (https://no-color.org) or FORCE_COLOR=0. */
export function shouldColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0') return false;
  return stream.isTTY === true;
}
