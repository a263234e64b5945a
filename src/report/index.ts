import { UsageError } from '../core/index.js';
import { writeAsff } from './asff.js';
import { writeJson } from './json.js';
import { writeSarif } from './sarif.js';
import { writeTable } from './table.js';
import type { Writer } from './writer.js';
import { writeYaml } from './yaml.js';

export * from './asff.js';
export * from './json.js';
export * from './sarif.js';
export * from './select.js';
export * from './table.js';
export * from './writer.js';
export * from './yaml.js';

export const FINDING_FORMATS = ['table', 'json', 'yaml', 'sarif', 'asff'] as const;
export type FindingFormat = (typeof FINDING_FORMATS)[number];

const WRITERS: Record<FindingFormat, Writer> = {
  table: writeTable,
  json: writeJson,
  yaml: writeYaml,
  sarif: writeSarif,
  asff: writeAsff,
};

export function writerFor(format: string): Writer {
  const w = WRITERS[format as FindingFormat];
  if (!w) throw new UsageError(`-o ${format}: unknown format; expected one of ${FINDING_FORMATS.join(', ')}`);
  return w;
}
