import { existsSync } from 'node:fs';
import { InputError, type ScanResult, UsageError } from '../core/index.js';
import { loadSnapshot } from '../inputs/index.js';
import { renderColumns } from '../report/index.js';
import { loadAwsSnapshot } from './aws-snapshot.js';
import {
  type AccessModel,
  buildAccessModel,
  type CanIResult,
  canI,
  type PermissionsResult,
  permissionsOf,
  type WhoCanResult,
  whoCan,
} from './model.js';
import { describeRequest, parseRequestWords } from './request.js';
import { accessRisks } from './risks.js';

/**
 * The user-facing questions over files: each loads the snapshot (and AWS snapshot), builds the model once, answers.
 */
export interface ModelInput {
  /** Snapshot files/directories. */
  paths: string[];
  awsSnapshot?: string;
}

export function loadAccessModel(input: ModelInput): AccessModel {
  if (input.paths.length === 0) throw new UsageError('give at least one snapshot file or directory');
  const snapshot = loadSnapshot(input.paths);
  const aws = input.awsSnapshot ? loadAwsSnapshot(input.awsSnapshot) : undefined;
  return buildAccessModel(snapshot, aws);
}

/**
 * `<snapshot…> VERB [TARGET]`: the leading arguments that exist on disk are the snapshot, the rest the question.
 */
export function splitSnapshotArgs(args: string[]): { paths: string[]; words: string[] } {
  let i = 0;
  while (i < args.length && existsSync(args[i] as string)) i++;
  const paths = args.slice(0, i);
  const words = args.slice(i);
  if (paths.length === 0) {
    const first = args[0];
    throw new InputError(
      first ? `${first}: no such file or directory (expected snapshot paths first)` : 'snapshot paths are required',
    );
  }
  if (words.length === 0) throw new UsageError('expected VERB and a resource type or URL after the snapshot paths');
  if (words.length > 2) throw new UsageError(`unexpected arguments: ${words.slice(2).join(' ')}`);
  return { paths, words };
}

export interface QuestionOptions {
  awsSnapshot?: string;
  subresource?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

function requestFrom(words: string[], opts: QuestionOptions) {
  return parseRequestWords({
    verb: words[0] ?? '',
    target: words[1] ?? '',
    subresource: opts.subresource,
    namespace: opts.namespace,
    allNamespaces: opts.allNamespaces,
  });
}

export function canIFromFiles(args: string[], opts: QuestionOptions & { as: string; asGroups?: string[] }): CanIResult {
  const { paths, words } = splitSnapshotArgs(args);
  const model = loadAccessModel({ paths, awsSnapshot: opts.awsSnapshot });
  const groups = opts.asGroups && opts.asGroups.length > 0 ? opts.asGroups : undefined;
  try {
    return canI(model, opts.as, requestFrom(words, opts), groups);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--as ${opts.as}: ${(err as Error).message}`);
  }
}

export function whoCanFromFiles(args: string[], opts: QuestionOptions): WhoCanResult {
  const { paths, words } = splitSnapshotArgs(args);
  const model = loadAccessModel({ paths, awsSnapshot: opts.awsSnapshot });
  return whoCan(model, requestFrom(words, opts));
}

export function risksFromFiles(paths: string[], opts: { awsSnapshot?: string }): ScanResult {
  const model = loadAccessModel({ paths, awsSnapshot: opts.awsSnapshot });
  return accessRisks(model, opts.awsSnapshot ? [...paths, opts.awsSnapshot] : paths);
}

const where = (r: { file?: string; line?: number }) => (r.file ? ` [${r.file}${r.line ? `:${r.line}` : ''}]` : '');

/** kubectl prints `yes`/`no`; we add why, as indented lines. */
export function formatCanI(r: CanIResult, format: 'text' | 'json'): string {
  if (format === 'json') {
    const { identity, ...rest } = r;
    const { namePattern: _pattern, ...user } = identity.user;
    return `${JSON.stringify({ ...rest, identity: { ...identity, user } }, null, 2)}\n`;
  }
  const lines = [r.allowed ? 'yes' : 'no'];
  const id = r.identity;
  if (id.principalArn) {
    const via = id.source === 'accessEntry' ? 'access entry' : id.source === 'awsAuth' ? 'aws-auth' : 'no mapping';
    lines.push(
      id.authenticated
        ? `  identity: ${id.principalArn} → ${via} → user ${id.user.name}, groups ${id.user.groups.join(', ')}`
        : `  identity: ${id.principalArn} is not mapped: Unauthorized`,
    );
  }
  for (const n of id.notes) lines.push(`  note: ${n}`);
  for (const reason of r.reasons) lines.push(`  allowed by ${reason.text}${where(reason)}`);
  if (!r.allowed && id.authenticated) lines.push(`  no binding or access policy allows ${describeRequest(r.request)}`);
  for (const u of r.unknowns) lines.push(`  unknown: ${u}`);
  for (const e of r.errors) lines.push(`  warning: ${e}`);
  return `${lines.join('\n')}\n`;
}

export function formatWhoCan(r: WhoCanResult, format: 'text' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  const lines = [`Who can ${describeRequest(r.request)}:`];
  for (const row of r.rows) {
    const s = row.subject;
    lines.push(
      `  ${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}  via ${row.reason.text}${where(row.reason)}`,
    );
    for (const l of row.iam)
      lines.push(
        `    ← ${l.principalArn} (${l.via}${l.line ? ` line ${l.line}` : ''})${l.inactive ? ` — inactive: ${l.inactive}` : ''}`,
      );
  }
  for (const p of r.accessPolicies) lines.push(`  IAM ${p.principalArn}  via ${p.reason.text}`);
  for (const u of [...new Set(r.unknowns)]) lines.push(`  unknown: ${u}`);
  for (const e of r.errors) lines.push(`  warning: ${e}`);
  return `${lines.join('\n')}\n`;
}

/** `<snapshot…> SUBJECT`: everything the subject (Kubernetes user or IAM ARN) holds. */
export function permissionsFromFiles(
  args: string[],
  opts: { awsSnapshot?: string; asGroups?: string[] },
): PermissionsResult {
  const { paths, words } = splitSnapshotArgs(args);
  if (words.length !== 1)
    throw new UsageError('expected one subject (Kubernetes user or IAM ARN) after the snapshot paths');
  const model = loadAccessModel({ paths, awsSnapshot: opts.awsSnapshot });
  const groups = opts.asGroups && opts.asGroups.length > 0 ? opts.asGroups : undefined;
  try {
    return permissionsOf(model, words[0] as string, groups);
  } catch (err) {
    throw new UsageError(`${words[0]}: ${(err as Error).message}`);
  }
}

export function formatPermissions(r: PermissionsResult, format: 'text' | 'json'): string {
  if (format === 'json') {
    const { namePattern: _pattern, ...user } = r.identity.user;
    return `${JSON.stringify({ ...r, identity: { ...r.identity, user } }, null, 2)}\n`;
  }
  const id = r.identity;
  const lines = [
    id.authenticated || id.source === 'kubernetes'
      ? `${id.principalArn ? `${id.principalArn} → ` : ''}user ${id.user.name}, groups ${id.user.groups.join(', ') || '-'}`
      : `${id.principalArn ?? id.user.name}: Unauthorized`,
    ...id.notes.map((n) => `note: ${n}`),
  ];
  const rows = r.rows.map((row) => {
    const rule = row.rule;
    const what = rule.nonResourceURLs?.length
      ? rule.nonResourceURLs.join(',')
      : `${(rule.resources ?? []).join(',')}${rule.resourceNames?.length ? ` [${rule.resourceNames.join(',')}]` : ''}`;
    const groups = rule.nonResourceURLs?.length ? '-' : (rule.apiGroups ?? []).map((g) => g || 'core').join(',');
    return [row.scope, rule.verbs.join(','), groups, what, `${row.via.text.replace(/: [^→]*$/, '')}${where(row.via)}`];
  });
  if (rows.length) lines.push('', renderColumns(rows, ['NAMESPACE', 'VERBS', 'GROUPS', 'RESOURCES/URLS', 'VIA']));
  else lines.push('no permissions');
  for (const u of r.unknowns) lines.push(`unknown: ${u}`);
  return `${lines.join('\n')}\n`;
}
