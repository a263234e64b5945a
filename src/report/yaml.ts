import { stringify } from 'yaml';
import type { ScanResult } from '../core/index.js';
import { toOutputDocument } from './json.js';
import type { WriterContext } from './writer.js';

/** Same document as JSON, in YAML. */
export function writeYaml(result: ScanResult, ctx: WriterContext): string {
  return stringify(toOutputDocument(result, ctx), { lineWidth: 0, aliasDuplicateObjects: false });
}
