import { readFile } from 'node:fs/promises';
import {
  FINDING_STATUSES,
  type Finding,
  type FindingStatus,
  InputError,
  type InputProblem,
  type ResourceRef,
  type ScanResult,
  SEVERITIES,
  type Severity,
  UsageError,
} from '../core/index.js';
import { toAsffFindings } from '../report/index.js';
import {
  callerAccountId,
  imageScanParts,
  importImageScansToSecurityHub,
  type SecurityHubSendReport,
  sendToSecurityHub,
} from '../vuln/index.js';
import { pushFindings } from './client.js';
import type { IngestSummary } from './store.js';

export interface PushFileOptions {
  /** `securityhub`, or the URL of a Rampart hub. */
  to: string;
  /** Security Hub: Region (default $AWS_REGION). */
  region?: string;
  /** Security Hub: the 12-digit account the findings belong to (default $AWS_ACCOUNT_ID). */
  accountId?: string;
  productArn?: string;
  /** Security Hub endpoint other than AWS's (tests use a local server speaking its wire format). */
  endpoint?: string;
  /** Cluster name: ASFF resource ids and hub grouping. */
  cluster?: string;
  /** Where the record of past Security Hub imports of image scans is kept (default: the user's cache dir). */
  cacheDir?: string;
  /** Hub API token; default $RAMPART_HUB_TOKEN. */
  token?: string;
  toolVersion: string;
  now?: Date;
}

export type PushFileReport =
  | { target: 'securityhub'; file: string; findings: number; securityHub: SecurityHubSendReport }
  | { target: 'hub'; file: string; findings: number; origin: string; hub: IngestSummary };

/**
 * `rampart hub push`: sends a saved `-o json` result (of any command) to AWS Security Hub or to a Rampart hub, so a
 * scan made offline or in CI can be imported later with the same mapping as a live `--securityhub`/`--push`.
 */
export async function pushFindingsFile(file: string, o: PushFileOptions): Promise<PushFileReport> {
  const result = await readFindingsFile(file);
  if (o.to === 'securityhub') {
    const region = o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError('--to securityhub needs --region (or $AWS_REGION)');
    const now = o.now ?? new Date();
    // The account: --aws-account-id, else $AWS_ACCOUNT_ID, else the caller's own (STS GetCallerIdentity).
    const accountId = o.accountId || process.env.AWS_ACCOUNT_ID || (await callerAccountId({ region }));
    const target = {
      region,
      accountId,
      toolVersion: o.toolVersion,
      ...(o.productArn ? { productArn: o.productArn } : {}),
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      ...(o.cluster ? { cluster: o.cluster } : {}),
    };
    if (result.command === 'image scan') {
      // Image scans are imported image by image against the cache dir's record of the last import, as
      // `image scan --securityhub` does: what a newer scan of the same image no longer has is archived.
      const parts = imageScanParts(result);
      const securityHub = await importImageScansToSecurityHub(
        parts,
        { ...target, ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}) },
        now,
      );
      const findings = parts.reduce((n, p) => n + p.result.findings.filter(reportable).length, 0);
      return { target: 'securityhub', file, findings, securityHub };
    }
    const asff = toAsffFindings(result, {
      toolVersion: o.toolVersion,
      now,
      color: false,
      showPassed: false,
      aws: { region, accountId, ...(o.productArn ? { productArn: o.productArn } : {}) },
      ...(o.cluster ? { cluster: o.cluster } : {}),
    });
    const securityHub = await sendToSecurityHub(asff, { region, ...(o.endpoint ? { endpoint: o.endpoint } : {}) });
    return { target: 'securityhub', file, findings: asff.length, securityHub };
  }
  if (!/^https?:\/\//i.test(o.to)) {
    throw new UsageError(`--to ${o.to}: expected "securityhub" or a hub URL (https://hub.example:8080)`);
  }
  const hub = await pushFindings(o.to, result, {
    source: result.command,
    ...(o.cluster ? { cluster: o.cluster } : {}),
    ...(o.token ? { token: o.token } : {}),
  });
  return { target: 'hub', file, findings: result.findings.length, origin: new URL(o.to).origin, hub };
}

/** What the ASFF writer exports (as `-o asff`): failing and unknown findings. */
function reportable(f: Finding): boolean {
  return f.status === 'fail' || f.status === 'unknown';
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads the JSON output document of any command (docs/output.md) back into a ScanResult. Ids are kept as written
 * (they are the stable ids Security Hub and the hub key on). Every problem names the file and the field.
 */
export async function readFindingsFile(file: string): Promise<ScanResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file' : `cannot read: ${code ?? String(err)}`, { file });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`not JSON (expected the -o json output of a rampart command): ${(err as Error).message}`, {
      file,
    });
  }
  const fail = (field: string, message: string): never => {
    throw new InputError(message, { file, field });
  };
  if (Array.isArray(doc)) {
    fail('(root)', 'a JSON array (ASFF?): expected the -o json output document of a rampart command');
  }
  if (!isObject(doc)) return fail('(root)', 'expected an object (the -o json output of a rampart command)');
  if (typeof doc.command !== 'string') fail('command', 'missing or not a string');
  if (!Array.isArray(doc.findings)) fail('findings', 'missing or not an array');
  const targets = Array.isArray(doc.targets) ? doc.targets.filter((t): t is string => typeof t === 'string') : [];
  const errors = Array.isArray(doc.errors) ? (doc.errors.filter(isObject) as unknown as InputProblem[]) : [];
  const findings = (doc.findings as unknown[]).map((f, i) => findingOf(f, `findings[${i}]`, fail));
  return { command: doc.command as string, targets, findings, errors };
}

function stringField(
  raw: Json,
  key: string,
  required: boolean,
  at: string,
  fail: (field: string, message: string) => never,
): string | undefined {
  const v = raw[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '') return fail(`${at}.${key}`, required ? 'missing or empty' : 'not a string');
  return v;
}

function findingOf(raw: unknown, at: string, fail: (field: string, message: string) => never): Finding {
  if (!isObject(raw)) return fail(at, 'expected an object');
  const text = (key: string, required: boolean) => stringField(raw, key, required, at, fail);
  const severity = text('severity', true) as string;
  if (!(SEVERITIES as readonly string[]).includes(severity)) {
    fail(`${at}.severity`, `"${severity}" is not one of ${SEVERITIES.join(', ')}`);
  }
  const status = text('status', true) as string;
  if (!(FINDING_STATUSES as readonly string[]).includes(status)) {
    fail(`${at}.status`, `"${status}" is not one of ${FINDING_STATUSES.join(', ')}`);
  }
  const reason = text('reason', status === 'unknown' || status === 'skipped');
  const out: Finding = {
    id: text('id', true) as string,
    ruleId: text('ruleId', true) as string,
    title: text('title', true) as string,
    severity: severity as Severity,
    status: status as FindingStatus,
    resource: resourceOf(raw.resource, `${at}.resource`, fail),
  };
  if (reason) out.reason = reason;
  const pillar = text('pillar', false);
  if (pillar) out.pillar = pillar as Finding['pillar'];
  const description = text('description', false);
  if (description) out.description = description;
  const remediation = text('remediation', false);
  if (remediation) out.remediation = remediation;
  for (const key of ['evidence', 'details', 'suppression'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!isObject(v)) fail(`${at}.${key}`, 'expected an object');
    (out as unknown as Json)[key] = v;
  }
  if (raw.references !== undefined) {
    if (!Array.isArray(raw.references)) fail(`${at}.references`, 'expected an array');
    out.references = raw.references as Finding['references'];
  }
  return out;
}

/** The flat resource of the JSON output (kind/namespace/name, image/package, arn, file/line) back to a ResourceRef. */
function resourceOf(raw: unknown, at: string, fail: (field: string, message: string) => never): ResourceRef {
  if (!isObject(raw)) return fail(at, 'missing or not an object');
  const str = (key: string, required: boolean) => stringField(raw, key, required, at, fail);
  const num = (key: string): number | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) return fail(`${at}.${key}`, 'not a whole number');
    return v;
  };
  const defined = <T extends object>(o: T): T => {
    for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
    return o;
  };
  switch (raw.type) {
    case 'kubernetes':
      return defined({
        type: 'kubernetes',
        apiVersion: str('apiVersion', false),
        kind: str('kind', true) as string,
        namespace: str('namespace', false),
        name: str('name', true) as string,
        file: str('file', false),
        line: num('line'),
      });
    case 'image': {
      const pkg = raw.package;
      if (pkg !== undefined && !(isObject(pkg) && typeof pkg.name === 'string')) {
        fail(`${at}.package`, 'expected an object with a name');
      }
      return defined({
        type: 'image',
        reference: str('image', true) as string,
        digest: str('digest', false),
        layer: str('layer', false),
        package: pkg as { name: string } | undefined,
      });
    }
    case 'aws':
      return defined({ type: 'aws', arn: str('arn', true) as string, resourceType: str('resourceType', false) });
    case 'file':
      return defined({
        type: 'file',
        path: str('file', true) as string,
        line: num('line'),
        column: num('column'),
      });
    default:
      return fail(`${at}.type`, `${JSON.stringify(raw.type)} is not one of kubernetes, image, aws, file`);
  }
}
