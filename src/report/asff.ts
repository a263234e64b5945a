import type { Finding, ScanResult } from '../core/index.js';
import { resourceLabel, resourceLocation, UsageError, vulnerabilityOf } from '../core/index.js';
import type { WriterContext } from './writer.js';

/**
 * AWS Security Finding Format (ASFF, schema 2018-10-08), as a JSON array ready for
 * `aws securityhub batch-import-findings --findings file://out.json` (split into batches of 100 by the importer).
 * Fail findings are ACTIVE with Compliance FAILED; unknown ones are NOT_AVAILABLE so partial data never reads as a
 * pass; pass findings only with --show-passed. Provider-owned fields go in FindingProviderFields as AWS asks.
 */
export function writeAsff(result: ScanResult, ctx: WriterContext): string {
  return `${JSON.stringify(toAsffFindings(result, ctx), null, 2)}\n`;
}

const SEVERITY_LABEL = {
  CRITICAL: 'CRITICAL',
  HIGH: 'HIGH',
  MEDIUM: 'MEDIUM',
  LOW: 'LOW',
  INFO: 'INFORMATIONAL',
} as const;
const ECR_REFERENCE =
  /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^@]+))?(?:@(sha256:[a-f0-9]{64}))?$/;

export interface AsffTarget {
  accountId: string;
  region: string;
  partition: string;
  productArn: string;
}

export function asffTarget(ctx: WriterContext, env: NodeJS.ProcessEnv = process.env): AsffTarget {
  const accountId = ctx.aws?.accountId ?? env.AWS_ACCOUNT_ID;
  const region = ctx.aws?.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!accountId || !/^\d{12}$/.test(accountId)) {
    throw new UsageError('-o asff needs the 12-digit account to import into: --aws-account-id (or AWS_ACCOUNT_ID)');
  }
  if (!region) throw new UsageError('-o asff needs the Region to import into: --aws-region (or AWS_REGION)');
  const partition =
    ctx.aws?.partition ?? (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');
  return {
    accountId,
    region,
    partition,
    productArn:
      ctx.aws?.productArn ?? `arn:${partition}:securityhub:${region}:${accountId}:product/${accountId}/default`,
  };
}

export function toAsffFindings(result: ScanResult, ctx: WriterContext): Record<string, unknown>[] {
  const target = asffTarget(ctx);
  const now = ctx.now.toISOString();
  return result.findings
    .filter((f) => f.status === 'fail' || f.status === 'unknown' || (ctx.showPassed && f.status === 'pass'))
    .map((f) => toAsff(f, target, now, ctx));
}

function toAsff(f: Finding, t: AsffTarget, now: string, ctx: WriterContext): Record<string, unknown> {
  const vuln = vulnerabilityOf(f.details);
  const label = f.status === 'pass' ? 'INFORMATIONAL' : SEVERITY_LABEL[f.severity];
  const types = vuln
    ? [`Software and Configuration Checks/Vulnerabilities/${vuln.id.startsWith('CVE-') ? 'CVE' : 'Advisory'}`]
    : [`Software and Configuration Checks/AWS Security Best Practices/${f.pillar ?? 'rampart'}`];
  const severity = { Label: label, Original: f.severity };
  const out: Record<string, unknown> = {
    SchemaVersion: '2018-10-08',
    Id: `rampart/${f.id}`,
    ProductArn: t.productArn,
    ProductName: 'Rampart',
    CompanyName: 'Rampart',
    GeneratorId: `rampart/${f.ruleId}`.slice(0, 512),
    AwsAccountId: t.accountId,
    Types: types,
    CreatedAt: now,
    UpdatedAt: now,
    Severity: severity,
    FindingProviderFields: { Severity: severity, Types: types },
    Title: truncate(f.title, 256),
    Description: truncate(descriptionOf(f), 1024),
    Resources: [resourceOf(f, t, ctx)],
    ProductFields: productFields(f),
    RecordState: 'ACTIVE',
  };
  if (!vuln) {
    out.Compliance = {
      Status: f.status === 'fail' ? 'FAILED' : f.status === 'pass' ? 'PASSED' : 'NOT_AVAILABLE',
    };
  }
  const url = f.references?.find((r) => r.url)?.url;
  if (f.remediation || url) {
    out.Remediation = {
      Recommendation: {
        ...(f.remediation ? { Text: truncate(f.remediation, 512) } : {}),
        ...(url ? { Url: url } : {}),
      },
    };
  }
  if (vuln) {
    const pkg: Record<string, unknown> = {
      Name: vuln.package.name,
      Version: vuln.package.version,
      PackageManager: vuln.package.ecosystem,
    };
    if (vuln.package.epoch) pkg.Epoch = vuln.package.epoch;
    if (vuln.package.release) pkg.Release = vuln.package.release;
    if (vuln.package.arch) pkg.Architecture = vuln.package.arch;
    if (vuln.package.path) pkg.FilePath = vuln.package.path;
    if (vuln.package.fixedVersion) {
      pkg.FixedInVersion = vuln.package.fixedVersion;
      pkg.Remediation = `Upgrade ${vuln.package.name} to ${vuln.package.fixedVersion}`;
    }
    if (f.resource.type === 'image' && f.resource.layer) pkg.SourceLayerHash = f.resource.layer;
    const v: Record<string, unknown> = {
      Id: vuln.id,
      VulnerablePackages: [pkg],
      FixAvailable: vuln.package.fixedVersion ? 'YES' : 'NO',
      Vendor: {
        Name: vuln.vendor?.name ?? 'OSV',
        ...(vuln.vendor?.url ? { Url: vuln.vendor.url } : {}),
        ...(vuln.vendorSeverity ? { VendorSeverity: vuln.vendorSeverity } : {}),
      },
    };
    if (vuln.aliases && vuln.aliases.length > 0) v.RelatedVulnerabilities = vuln.aliases.filter((a) => a !== vuln.id);
    if (vuln.cvss && vuln.cvss.length > 0) {
      v.Cvss = vuln.cvss.map((c) => ({
        Version: c.version,
        BaseScore: c.score,
        BaseVector: c.vector,
        ...(c.source ? { Source: c.source } : {}),
      }));
    }
    if (vuln.references && vuln.references.length > 0) v.ReferenceUrls = vuln.references.slice(0, 50);
    out.Vulnerabilities = [v];
  }
  return out;
}

function descriptionOf(f: Finding): string {
  const parts = [f.description ?? f.title];
  if (f.status === 'unknown' && f.reason) parts.push(`Status unknown: ${f.reason}`);
  return parts.join('\n\n');
}

/** ProductFields key naming the image a finding belongs to (its digest, else its reference). */
export const ASFF_IMAGE_KEY_FIELD = 'rampart/ImageKey';

function productFields(f: Finding): Record<string, string> {
  const fields: Record<string, string> = {
    'rampart/RuleId': f.ruleId,
    'rampart/Status': f.status,
    'rampart/Resource': truncate(resourceLabel(f.resource), 2048),
  };
  if (f.pillar) fields['rampart/Pillar'] = f.pillar;
  // The image as the scan store keys it (digest, else reference): a scan on another machine (an ephemeral CI runner)
  // finds this image's ACTIVE findings in Security Hub by it, whatever tag or registry name the image was read by.
  if (f.resource.type === 'image')
    fields[ASFF_IMAGE_KEY_FIELD] = truncate(f.resource.digest ?? f.resource.reference, 2048);
  const loc = resourceLocation(f.resource);
  if (loc) fields['rampart/Location'] = truncate(`${loc.file}${loc.line ? `:${loc.line}` : ''}`, 2048);
  if (f.reason) fields['rampart/Reason'] = truncate(f.reason, 2048);
  return fields;
}

function resourceOf(f: Finding, t: AsffTarget, ctx: WriterContext): Record<string, unknown> {
  const base = { Partition: t.partition, Region: t.region };
  const r = f.resource;
  switch (r.type) {
    case 'aws':
      return { Type: r.resourceType ?? 'Other', Id: r.arn, ...base };
    case 'image': {
      const m = ECR_REFERENCE.exec(r.reference);
      if (m) {
        const [, registry, region, repo, tag, refDigest] = m;
        const digest = r.digest ?? refDigest;
        const details: Record<string, unknown> = { RegistryId: registry, RepositoryName: repo };
        if (digest) details.ImageDigest = digest;
        if (tag) details.ImageTags = [tag];
        return {
          Type: 'AwsEcrContainerImage',
          Id: `arn:${t.partition}:ecr:${region}:${registry}:repository/${repo}${digest ? `/${digest}` : ''}`,
          Partition: t.partition,
          Region: region,
          Details: { AwsEcrContainerImage: details },
        };
      }
      return {
        Type: 'Container',
        Id: r.digest ? `${r.reference}@${r.digest}`.replace(/@sha256:[a-f0-9]{64}@/, '@') : r.reference,
        ...base,
        Details: {
          Container: {
            ImageName: r.reference.length > 127 ? `...${r.reference.slice(-124)}` : r.reference,
            ...(r.digest ? { ImageId: r.digest } : {}),
          },
        },
      };
    }
    case 'kubernetes': {
      const other: Record<string, string> = { kind: r.kind, name: r.name };
      if (r.namespace) other.namespace = r.namespace;
      if (ctx.cluster) other.cluster = ctx.cluster;
      if (r.file) other.file = truncate(`${r.file}${r.line ? `:${r.line}` : ''}`, 1024);
      return {
        Type: 'Other',
        Id: `k8s://${ctx.cluster ?? 'cluster'}/${r.namespace ? `${r.namespace}/` : ''}${r.kind}/${r.name}`,
        ...base,
        Details: { Other: other },
      };
    }
    case 'file':
      return {
        Type: 'Other',
        Id: `file://${r.path}${r.line ? `#L${r.line}` : ''}`,
        ...base,
        Details: { Other: { path: truncate(r.path, 1024), ...(r.line ? { line: String(r.line) } : {}) } },
      };
  }
}

function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max - 1)}…`;
}
