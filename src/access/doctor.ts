import { spawnSync } from 'node:child_process';
import { DescribeAccessEntryCommand, ListAccessEntriesCommand } from '@aws-sdk/client-eks';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import { type Finding, makeFinding, type ResourceRef, type ScanResult, type Severity } from '../core/index.js';
import { loadAwsConfig, ssoTokenStatus } from './aws-config.js';
import { accessEntryMatches, canonicalizeArn } from './identity.js';
import {
  type ClusterDescription,
  describeCluster,
  eksClient,
  kubeconfigPath,
  readKubeconfig,
  regionOfArn,
} from './kubeconfig.js';

/**
 * `rampart access doctor`: each prerequisite of "SSO login → update-kubeconfig → kubectl" as pass / fail / unknown,
 * with the command that fixes it. A check whose input could not be obtained is `unknown` with the reason.
 */
export interface DoctorOptions {
  profile: string;
  region: string;
  name: string;
  kubeconfig?: string;
  /** One endpoint for EKS and STS (tests, VPC endpoints). */
  endpointUrl?: string;
  env?: NodeJS.ProcessEnv;
  now?: Date;
  /** kubectl binary to ask for its version (default `kubectl` on PATH). */
  kubectl?: string;
}

const SEVERITY: Severity = 'HIGH';

export async function runDoctor(opts: DoctorOptions): Promise<ScanResult> {
  const env = opts.env ?? process.env;
  const findings: Finding[] = [];
  const fixKubeconfig = `rampart access kubeconfig --profile ${opts.profile} --region ${opts.region} --name ${opts.name}`;
  const add = (
    ruleId: string,
    title: string,
    status: 'pass' | 'fail' | 'unknown',
    detail: string,
    resource: ResourceRef,
    remediation?: string,
  ) =>
    findings.push(
      makeFinding({
        ruleId,
        pillar: 'access',
        severity: SEVERITY,
        status,
        title,
        description: detail,
        reason: status === 'unknown' ? detail : undefined,
        resource,
        remediation: status === 'pass' ? undefined : remediation,
      }),
    );

  // 1–2. config, profile, SSO token
  let config: ReturnType<typeof loadAwsConfig> | undefined;
  try {
    config = loadAwsConfig(env);
  } catch (err) {
    add(
      'ACCESS-DOCTOR-PROFILE',
      'AWS config readable',
      'fail',
      (err as Error).message,
      { type: 'file', path: String(env.AWS_CONFIG_FILE ?? '~/.aws/config') },
      'Fix the file at the line given.',
    );
  }
  const configRef: ResourceRef = { type: 'file', path: config?.configFile ?? '~/.aws/config' };
  const profile = config?.profiles.get(opts.profile);
  if (config && !profile)
    add(
      'ACCESS-DOCTOR-PROFILE',
      `profile ${opts.profile} exists`,
      'fail',
      `no [profile ${opts.profile}] in ${config.configFile}`,
      configRef,
      `aws configure sso --profile ${opts.profile}`,
    );
  else if (profile) {
    const sso = profile.kind === 'sso-session' || profile.kind === 'sso-legacy';
    const problems = profile.problems.join('; ');
    add(
      'ACCESS-DOCTOR-PROFILE',
      `profile ${opts.profile} is configured for SSO`,
      sso && !problems ? 'pass' : 'fail',
      sso
        ? problems ||
            `${profile.kind}${profile.kind === 'sso-legacy' ? ' (legacy format: tokens cannot be refreshed)' : ''}`
        : `profile kind is ${profile.kind}, not SSO`,
      { type: 'file', path: profile.sources[0]?.file ?? configRef.path, line: profile.sources[0]?.line },
      `aws configure sso --profile ${opts.profile}`,
    );
    if (sso) {
      const t = ssoTokenStatus(profile, { home: env.HOME, now: opts.now });
      add(
        'ACCESS-DOCTOR-SSO-TOKEN',
        'SSO login is valid',
        t.state === 'valid' || t.state === 'expired-refreshable' ? 'pass' : 'fail',
        t.message,
        { type: 'file', path: t.file || configRef.path },
        `aws sso login ${profile.sso?.session ? `--sso-session ${profile.sso.session}` : `--profile ${opts.profile}`}`,
      );
    }
  }
  if (config?.envCredentials.length)
    add(
      'ACCESS-DOCTOR-ENV-OVERRIDE',
      'no environment credentials override the profile',
      'fail',
      `${config.envCredentials.join(', ')} set: kubectl's exec plugin will use them instead of AWS_PROFILE=${opts.profile}`,
      configRef,
      `unset ${config.envCredentials.join(' ')}`,
    );

  // 3. caller identity
  const clientConfig = {
    region: opts.region,
    credentials: fromIni({ profile: opts.profile }),
    ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}),
    maxAttempts: 1,
  };
  let callerArn: string | undefined;
  const sts = new STSClient(clientConfig);
  try {
    const id = await sts.send(new GetCallerIdentityCommand({}));
    callerArn = id.Arn;
    add('ACCESS-DOCTOR-CREDENTIALS', 'credentials resolve (sts:GetCallerIdentity)', 'pass', `caller ${callerArn}`, {
      type: 'aws',
      arn: callerArn ?? 'unknown',
    });
  } catch (err) {
    add(
      'ACCESS-DOCTOR-CREDENTIALS',
      'credentials resolve (sts:GetCallerIdentity)',
      'fail',
      (err as Error).message.split('\n')[0] ?? '',
      configRef,
      `aws sso login --profile ${opts.profile}`,
    );
  } finally {
    sts.destroy();
  }

  // 4. cluster
  let cluster: ClusterDescription | undefined;
  const clusterRef = (): ResourceRef => ({
    type: 'aws',
    arn: cluster?.arn || `eks:${opts.region}:cluster/${opts.name}`,
    resourceType: 'AwsEksCluster',
  });
  if (callerArn) {
    try {
      cluster = await describeCluster({
        name: opts.name,
        region: opts.region,
        profile: opts.profile,
        endpointUrl: opts.endpointUrl,
      });
      const active = cluster.status === 'ACTIVE' || cluster.status === 'UPDATING';
      add(
        'ACCESS-DOCTOR-CLUSTER',
        `cluster ${opts.name} exists in ${opts.region} and is ACTIVE`,
        active ? 'pass' : 'fail',
        `status ${cluster.status}, Kubernetes ${cluster.version ?? '?'}`,
        clusterRef(),
        'Wait for the cluster to become ACTIVE.',
      );
      const pub = cluster.endpointPublicAccess;
      const cidrs = cluster.publicAccessCidrs ?? [];
      if (pub === false)
        add(
          'ACCESS-DOCTOR-ENDPOINT',
          'API endpoint reachable',
          'unknown',
          'private endpoint only: reachable only from inside the VPC (or through VPN/Direct Connect)',
          clusterRef(),
          'Connect from the VPC, or enable public access with your CIDR.',
        );
      else
        add(
          'ACCESS-DOCTOR-ENDPOINT',
          'API endpoint reachable',
          cidrs.includes('0.0.0.0/0') ? 'pass' : 'unknown',
          cidrs.includes('0.0.0.0/0')
            ? 'public endpoint open to all addresses'
            : `public endpoint limited to ${cidrs.join(', ')}; whether your address is in them is not checked`,
          clusterRef(),
          `aws eks update-cluster-config --name ${opts.name} --region ${opts.region} --resources-vpc-config publicAccessCidrs=<your-cidr>`,
        );
    } catch (err) {
      add(
        'ACCESS-DOCTOR-CLUSTER',
        `cluster ${opts.name} exists in ${opts.region} and is ACTIVE`,
        'fail',
        (err as Error).message,
        clusterRef(),
        `aws eks list-clusters --region ${opts.region} --profile ${opts.profile}`,
      );
    }
  } else
    add(
      'ACCESS-DOCTOR-CLUSTER',
      `cluster ${opts.name} exists in ${opts.region} and is ACTIVE`,
      'unknown',
      'no working credentials to call DescribeCluster',
      clusterRef(),
    );

  // 5. kubeconfig context
  const kcPath = kubeconfigPath(opts.kubeconfig, env);
  const kcRef: ResourceRef = { type: 'file', path: kcPath };
  if (!cluster)
    add(
      'ACCESS-DOCTOR-KUBECONFIG',
      'kubeconfig has a working context for the cluster',
      'unknown',
      'cluster ARN unknown (DescribeCluster failed)',
      kcRef,
      fixKubeconfig,
    );
  else {
    try {
      const kc = readKubeconfig(kcPath);
      const users = (kc.users as Array<{ name?: string; user?: { exec?: Record<string, unknown> } }> | undefined) ?? [];
      const contexts =
        (kc.contexts as Array<{ name?: string; context?: { cluster?: string; user?: string } }> | undefined) ?? [];
      const ctx = contexts.find((c) => c.context?.cluster === cluster?.arn);
      const exec = users.find((u) => u.name === ctx?.context?.user)?.user?.exec;
      const args = (exec?.args as string[] | undefined) ?? [];
      const envProfile = (exec?.env as Array<{ name: string; value: string }> | undefined)?.find(
        (e) => e.name === 'AWS_PROFILE',
      )?.value;
      const problems: string[] = [];
      if (!ctx) problems.push(`no context for ${cluster.arn}`);
      else if (!exec) problems.push(`user ${ctx.context?.user} has no exec plugin`);
      else {
        if (exec.apiVersion === 'client.authentication.k8s.io/v1alpha1')
          problems.push('exec apiVersion v1alpha1 (kubectl >= 1.24 rejects it)');
        const r = args[args.indexOf('--region') + 1];
        if (args.includes('--region') && r !== regionOfArn(cluster.arn, opts.region))
          problems.push(`exec --region ${r} is not the cluster's region`);
        if (!args.includes(opts.name) && !args.includes(cluster.id ?? '\0'))
          problems.push('exec args do not name the cluster');
        if (envProfile !== opts.profile)
          problems.push(`exec env AWS_PROFILE is ${envProfile ?? 'unset'}, not ${opts.profile}`);
      }
      add(
        'ACCESS-DOCTOR-KUBECONFIG',
        'kubeconfig has a working context for the cluster',
        problems.length ? 'fail' : 'pass',
        problems.join('; ') || `context ${ctx?.name}`,
        kcRef,
        fixKubeconfig,
      );
    } catch (err) {
      add(
        'ACCESS-DOCTOR-KUBECONFIG',
        'kubeconfig has a working context for the cluster',
        'fail',
        (err as Error).message,
        kcRef,
        fixKubeconfig,
      );
    }
  }

  // 6. kubectl and version skew
  const kubectl = opts.kubectl ?? 'kubectl';
  const v = spawnSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8', env, timeout: 15_000 });
  const toolRef: ResourceRef = { type: 'file', path: kubectl };
  if (v.error || v.status !== 0)
    add(
      'ACCESS-DOCTOR-KUBECTL',
      'kubectl installed, within one minor version of the cluster',
      'fail',
      `${kubectl} not runnable`,
      toolRef,
      'Install kubectl: https://kubernetes.io/docs/tasks/tools/',
    );
  else {
    let minor: number | undefined;
    try {
      minor = Number.parseInt(String(JSON.parse(v.stdout).clientVersion?.minor ?? ''), 10);
    } catch {
      minor = undefined;
    }
    const clusterMinor = cluster?.version ? Number.parseInt(cluster.version.split('.')[1] ?? '', 10) : undefined;
    if (minor === undefined || Number.isNaN(minor) || clusterMinor === undefined)
      add(
        'ACCESS-DOCTOR-KUBECTL',
        'kubectl installed, within one minor version of the cluster',
        'unknown',
        'kubectl or cluster version unknown',
        toolRef,
      );
    else {
      const skew = Math.abs(minor - clusterMinor);
      add(
        'ACCESS-DOCTOR-KUBECTL',
        'kubectl installed, within one minor version of the cluster',
        skew <= 1 ? 'pass' : 'fail',
        `kubectl 1.${minor}, cluster 1.${clusterMinor}`,
        toolRef,
        `Install kubectl 1.${clusterMinor}.`,
      );
    }
  }

  // 7. the caller is mapped (access entries, when the API allows reading them)
  if (!callerArn || !cluster)
    add(
      'ACCESS-DOCTOR-MAPPED',
      'caller is mapped in the cluster',
      'unknown',
      'caller or cluster unknown',
      clusterRef(),
    );
  else if (cluster.authenticationMode === 'CONFIG_MAP' || cluster.authenticationMode === undefined)
    add(
      'ACCESS-DOCTOR-MAPPED',
      'caller is mapped in the cluster',
      'unknown',
      'authentication mode CONFIG_MAP: the mapping is in aws-auth, which needs Kubernetes access to read (use `rampart access can-i <snapshot> … --as <ARN>`)',
      clusterRef(),
    );
  else {
    const eks = eksClient({ region: opts.region, profile: opts.profile, endpointUrl: opts.endpointUrl });
    try {
      const list = await eks.send(new ListAccessEntriesCommand({ clusterName: opts.name }));
      const match = (list.accessEntries ?? []).find((arn) => accessEntryMatches(arn, callerArn as string));
      if (match) {
        const d = await eks.send(new DescribeAccessEntryCommand({ clusterName: opts.name, principalArn: match }));
        add(
          'ACCESS-DOCTOR-MAPPED',
          'caller is mapped in the cluster',
          'pass',
          `access entry ${match} → ${d.accessEntry?.username ?? '(default username)'}`,
          clusterRef(),
        );
      } else {
        const roleArn = canonicalizeArn(callerArn).canonicalArn;
        add(
          'ACCESS-DOCTOR-MAPPED',
          'caller is mapped in the cluster',
          cluster.authenticationMode === 'API' ? 'fail' : 'unknown',
          cluster.authenticationMode === 'API'
            ? `no access entry for ${roleArn}`
            : `no access entry for ${roleArn}; aws-auth may still map it`,
          clusterRef(),
          `aws eks create-access-entry --cluster-name ${opts.name} --region ${opts.region} --principal-arn <role ARN with its path>`,
        );
      }
    } catch (err) {
      add(
        'ACCESS-DOCTOR-MAPPED',
        'caller is mapped in the cluster',
        'unknown',
        `cannot list access entries: ${(err as Error).message.split('\n')[0]}`,
        clusterRef(),
      );
    } finally {
      eks.destroy();
    }
  }
  return { command: 'access doctor', targets: [`${opts.profile}@${opts.region}/${opts.name}`], findings, errors: [] };
}
