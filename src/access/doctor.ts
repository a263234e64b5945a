import { spawnSync } from 'node:child_process';
import { DescribeAccessEntryCommand } from '@aws-sdk/client-eks';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import semver from 'semver';
import { type Finding, makeFinding, type ResourceRef, type ScanResult, type Severity } from '../core/index.js';
import { loadAwsConfig, ssoTokenStatus } from './aws-config.js';
import { listAccessEntryArns } from './aws-live.js';
import {
  type ClusterConnection,
  parseAccessCheckWords,
  readAwsAuthConfigMap,
  selfSubjectAccessReview,
  selfSubjectReview,
  type WhoAmI,
} from './cluster-api.js';
import { accessEntryMatches, canonicalizeArn, mapAwsAuth, parseAwsAuth } from './identity.js';
import {
  type ClusterDescription,
  chooseKubeconfigPath,
  describeCluster,
  eksClient,
  kubeconfigPath,
  readKubeconfig,
  regionOfArn,
} from './kubeconfig.js';
import { describeRequest } from './request.js';
import { createEksToken } from './token.js';

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
  /** AWS CLI binary to ask for its version (default `aws` on the PATH of `env`). */
  aws?: string;
  /** `kubectl auth can-i` words to confirm through SelfSubjectAccessReview (default: `list pods`). */
  checks?: string[];
  /** Namespace of the access checks (default `default`). */
  namespace?: string;
  /** Timeout of each Kubernetes API request in ms (default 15 s). */
  kubeTimeoutMs?: number;
}

export interface AwsCliVerdict {
  status: 'pass' | 'fail' | 'unknown';
  detail: string;
  version?: string;
}

const INSTALL_AWS_CLI =
  'Install or update AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html';

/**
 * What `aws --version` says about the walkthrough's needs: `eks get-token` appeared in 1.16.156; `aws sso login`
 * and `aws configure sso` exist only in v2; `[sso-session]` sections need 2.9.0; PKCE login (the default flow)
 * needs 2.22.0, older v2 uses the device-code flow, which still works.
 */
export function judgeAwsCliVersion(output: string, usesSsoSession: boolean, usesSso: boolean): AwsCliVerdict {
  const m = /aws-cli\/(\d+\.\d+\.\d+)/.exec(output);
  if (!m?.[1])
    return { status: 'unknown', detail: `unrecognised \`aws --version\` output: ${output.trim().slice(0, 80)}` };
  const version = m[1];
  if (semver.lt(version, '1.16.156'))
    return { status: 'fail', version, detail: `aws-cli ${version} has no \`aws eks get-token\` (needs 1.16.156)` };
  if (semver.major(version) === 1 && usesSso)
    return {
      status: 'fail',
      version,
      detail: `aws-cli ${version} is v1: \`aws sso login\` and \`aws configure sso\` exist only in v2`,
    };
  if (semver.major(version) >= 2 && usesSsoSession && semver.lt(version, '2.9.0'))
    return { status: 'fail', version, detail: `aws-cli ${version} does not read [sso-session] sections (needs 2.9.0)` };
  const note =
    semver.major(version) >= 2 && semver.lt(version, '2.22.0')
      ? '; `aws sso login` uses the device-code flow (PKCE login needs 2.22.0)'
      : '';
  return { status: 'pass', version, detail: `aws-cli ${version}${note}` };
}

const SEVERITY: Severity = 'HIGH';

export async function runDoctor(opts: DoctorOptions): Promise<ScanResult> {
  const env = opts.env ?? process.env;
  const namespace = opts.namespace ?? 'default';
  const accessChecks = (opts.checks?.length ? opts.checks : ['list pods']).map((w) =>
    parseAccessCheckWords(w, namespace),
  );
  const findings: Finding[] = [];
  const fixKubeconfig = `rampart access kubeconfig --profile ${opts.profile} --region ${opts.region} --name ${opts.name}`;
  const add: AddFinding = (ruleId, title, status, detail, resource, remediation, discriminator) =>
    findings.push(
      makeFinding({
        discriminator,
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

  // AWS CLI: the user's own `aws sso login`, and the exec plugin of an update-kubeconfig context.
  const awsBin = opts.aws ?? 'aws';
  const awsRun = spawnSync(awsBin, ['--version'], { encoding: 'utf8', env, timeout: 15_000 });
  const awsRef: ResourceRef = { type: 'file', path: awsBin };
  if (awsRun.error || awsRun.status !== 0)
    add(
      'ACCESS-DOCTOR-AWS-CLI',
      'AWS CLI installed and recent enough',
      'fail',
      `${awsBin} not runnable${awsRun.error ? ` (${(awsRun.error as NodeJS.ErrnoException).code ?? awsRun.error.message})` : ` (exit ${awsRun.status})`}`,
      awsRef,
      INSTALL_AWS_CLI,
    );
  else {
    // v1 printed its version on stderr, v2 prints it on stdout.
    const verdict = judgeAwsCliVersion(
      `${awsRun.stdout ?? ''}\n${awsRun.stderr ?? ''}`,
      profile?.kind === 'sso-session',
      profile?.kind === 'sso-session' || profile?.kind === 'sso-legacy',
    );
    add(
      'ACCESS-DOCTOR-AWS-CLI',
      'AWS CLI installed and recent enough',
      verdict.status,
      verdict.detail,
      awsRef,
      INSTALL_AWS_CLI,
    );
  }

  // 3. caller identity
  const credentialProvider = fromIni({ profile: opts.profile });
  const clientConfig = {
    region: opts.region,
    credentials: credentialProvider,
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
  /** What the endpoint access settings say; settled after the live call below, which shows what actually happens. */
  let endpointPolicy: { status: 'pass' | 'unknown'; detail: string; remediation: string } | undefined;
  /** true: the API server answered over HTTP; a string: why it could not be reached. */
  let reached: true | string | undefined;
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
      const endpointFix = `aws eks update-cluster-config --name ${opts.name} --region ${opts.region} --resources-vpc-config publicAccessCidrs=<your-cidr>`;
      endpointPolicy =
        pub === false
          ? {
              status: 'unknown',
              detail: 'private endpoint only: reachable only from inside the VPC (or through VPN/Direct Connect)',
              remediation: 'Connect from the VPC, or enable public access with your CIDR.',
            }
          : cidrs.includes('0.0.0.0/0')
            ? { status: 'pass', detail: 'public endpoint open to all addresses', remediation: endpointFix }
            : {
                status: 'unknown',
                detail: `public endpoint limited to ${cidrs.join(', ')}`,
                remediation: endpointFix,
              };
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
  // The file update-kubeconfig would have written: among several KUBECONFIG files, the one holding the cluster.
  let kcPath = kubeconfigPath(opts.kubeconfig, env);
  if (cluster)
    try {
      kcPath = chooseKubeconfigPath(opts.kubeconfig, env, cluster.arn);
    } catch {
      // A broken first file: the read below reports it with its line.
    }
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

  // 7. through the cluster itself, with the token kubectl's exec plugin would send: who am I, may I.
  // STS ARNs carry no IAM path, but an access entry needs the role's real ARN — SSO roles live under
  // aws-reserved/sso.amazonaws.com/[region/] — so for those the fix asks IAM for it.
  const grantFix = (arn: string) => {
    const name = arn.split('/').at(-1) ?? '';
    const iamArn = name.startsWith('AWSReservedSSO_')
      ? `"$(aws iam get-role --role-name ${name} --query Role.Arn --output text)"`
      : arn;
    return `rampart access grant --iam-arn ${iamArn} -n ${namespace} --role view --cluster-name ${opts.name}`;
  };
  const callerRole = callerArn ? canonicalizeArn(callerArn).canonicalArn : '<role ARN>';
  let conn: ClusterConnection | undefined;
  let whoami: WhoAmI | undefined;
  let tokenRejected = false;
  if (!callerArn || !cluster?.endpoint)
    add(
      'ACCESS-DOCTOR-WHOAMI',
      'the cluster accepts the token (SelfSubjectReview)',
      'unknown',
      'caller or cluster unknown',
      clusterRef(),
    );
  else {
    try {
      const credentials = await credentialProvider();
      const token = await createEksToken({
        cluster: cluster.outpostLocal && cluster.id ? cluster.id : cluster.name,
        region: regionOfArn(cluster.arn, opts.region),
        credentials,
      });
      conn = {
        server: cluster.endpoint,
        caData: cluster.certificateAuthorityData || undefined,
        token: token.token,
        timeoutMs: opts.kubeTimeoutMs,
      };
    } catch (err) {
      add(
        'ACCESS-DOCTOR-WHOAMI',
        'the cluster accepts the token (SelfSubjectReview)',
        'unknown',
        `cannot build a token: ${(err as Error).message.split('\n')[0]}`,
        clusterRef(),
      );
    }
    if (conn) {
      const r = await selfSubjectReview(conn);
      reached = r.ok || r.status !== undefined ? true : r.message;
      if (r.ok) {
        whoami = r.value;
        const arn = whoami.extra.arn?.[0];
        add(
          'ACCESS-DOCTOR-WHOAMI',
          'the cluster accepts the token (SelfSubjectReview)',
          'pass',
          `authenticated as ${whoami.username}; groups ${whoami.groups.join(', ') || '(none)'}${arn ? `; arn ${arn}` : ''}`,
          clusterRef(),
        );
      } else if (r.status === 401) {
        tokenRejected = true;
        add(
          'ACCESS-DOCTOR-WHOAMI',
          'the cluster accepts the token (SelfSubjectReview)',
          'fail',
          `${r.message}: ${callerRole} is not mapped to a Kubernetes identity (no access entry, no matching aws-auth entry)`,
          clusterRef(),
          grantFix(callerRole),
        );
      } else
        add(
          'ACCESS-DOCTOR-WHOAMI',
          'the cluster accepts the token (SelfSubjectReview)',
          'unknown',
          r.status === undefined ? `${r.message} (private endpoint or network)` : `SelfSubjectReview: ${r.message}`,
          clusterRef(),
        );
    }
  }
  if (endpointPolicy) {
    const title = 'API endpoint reachable';
    if (reached === true)
      add(
        'ACCESS-DOCTOR-ENDPOINT',
        title,
        'pass',
        `${endpointPolicy.detail}; the API server answered from here`,
        clusterRef(),
      );
    else if (typeof reached === 'string')
      add(
        'ACCESS-DOCTOR-ENDPOINT',
        title,
        'fail',
        `${endpointPolicy.detail}; ${reached}`,
        clusterRef(),
        endpointPolicy.remediation,
      );
    else
      add(
        'ACCESS-DOCTOR-ENDPOINT',
        title,
        endpointPolicy.status,
        `${endpointPolicy.detail}${endpointPolicy.status === 'unknown' ? '; not tried from here (no token)' : ''}`,
        clusterRef(),
        endpointPolicy.remediation,
      );
  }
  for (const request of accessChecks) {
    const title = `may ${describeRequest(request)} (SelfSubjectAccessReview)`;
    const key = describeRequest(request);
    if (!conn || !whoami) {
      add(
        'ACCESS-DOCTOR-CAN-I',
        title,
        'unknown',
        'not authenticated to the cluster (see ACCESS-DOCTOR-WHOAMI)',
        clusterRef(),
        undefined,
        key,
      );
      continue;
    }
    const r = await selfSubjectAccessReview(conn, request);
    if (!r.ok)
      add(
        'ACCESS-DOCTOR-CAN-I',
        title,
        'unknown',
        `SelfSubjectAccessReview: ${r.message}`,
        clusterRef(),
        undefined,
        key,
      );
    else
      add(
        'ACCESS-DOCTOR-CAN-I',
        title,
        r.value.allowed ? 'pass' : 'fail',
        `${r.value.allowed ? 'allowed' : r.value.denied ? 'denied' : 'not allowed'}${r.value.reason ? `: ${r.value.reason}` : ''}${r.value.evaluationError ? ` (evaluation error: ${r.value.evaluationError})` : ''}`,
        clusterRef(),
        grantFix(callerRole),
        key,
      );
  }

  // 8. where the mapping comes from: access entries (EKS API), else aws-auth (Kubernetes API, when readable).
  await checkMapping({ opts, cluster, callerArn, conn, whoami, tokenRejected, add, clusterRef, grantFix });
  return { command: 'access doctor', targets: [`${opts.profile}@${opts.region}/${opts.name}`], findings, errors: [] };
}

type AddFinding = (
  ruleId: string,
  title: string,
  status: 'pass' | 'fail' | 'unknown',
  detail: string,
  resource: ResourceRef,
  remediation?: string,
  discriminator?: string,
) => void;

/**
 * Where the caller's Kubernetes identity comes from. The authentication mode decides which sources count
 * (CONFIG_MAP: aws-auth; API: access entries; both: the entry wins, else aws-auth). A source that cannot be read
 * leaves the check unknown, unless SelfSubjectReview already proved the caller is authenticated.
 */
async function checkMapping(ctx: {
  opts: DoctorOptions;
  cluster?: ClusterDescription;
  callerArn?: string;
  conn?: ClusterConnection;
  whoami?: WhoAmI;
  /** The API server answered 401 to the caller's token: no source maps it, whatever we can read. */
  tokenRejected: boolean;
  add: AddFinding;
  clusterRef: () => ResourceRef;
  grantFix: (arn: string) => string;
}): Promise<void> {
  const { opts, cluster, callerArn, conn, whoami, tokenRejected, add, clusterRef, grantFix } = ctx;
  const rule = 'ACCESS-DOCTOR-MAPPED';
  const title = 'caller is mapped in the cluster';
  if (!callerArn || !cluster) {
    add(rule, title, 'unknown', 'caller or cluster unknown', clusterRef());
    return;
  }
  const roleArn = canonicalizeArn(callerArn).canonicalArn;
  const authenticated = whoami ? `authenticated as ${whoami.username} (SelfSubjectReview)` : undefined;
  // Clusters created before access entries existed report no mode: they authenticate through aws-auth only.
  const mode = cluster.authenticationMode ?? 'CONFIG_MAP';
  const notes: string[] = [];
  if (mode !== 'CONFIG_MAP') {
    const eks = eksClient({ region: opts.region, profile: opts.profile, endpointUrl: opts.endpointUrl });
    try {
      const match = (await listAccessEntryArns(eks, opts.name)).find((arn) => accessEntryMatches(arn, callerArn));
      if (match) {
        const d = await eks.send(new DescribeAccessEntryCommand({ clusterName: opts.name, principalArn: match }));
        const entry = `access entry ${match} → ${d.accessEntry?.username ?? '(default username)'}`;
        if (tokenRejected)
          // Entries match the principal ID: a role deleted and re-created under the same ARN no longer matches.
          add(
            rule,
            title,
            'fail',
            `${entry}, yet the cluster rejected the token (HTTP 401): if the role was re-created, re-create the entry`,
            clusterRef(),
            `aws eks delete-access-entry --cluster-name ${opts.name} --principal-arn ${match} && aws eks create-access-entry --cluster-name ${opts.name} --principal-arn ${match}`,
          );
        else add(rule, title, 'pass', entry, clusterRef());
        return;
      }
      notes.push(`no access entry for ${roleArn}`);
      if (mode === 'API') {
        add(
          rule,
          title,
          'fail',
          `${notes[0]} (authentication mode API ignores aws-auth)`,
          clusterRef(),
          `aws eks create-access-entry --cluster-name ${opts.name} --region ${opts.region} --principal-arn <role ARN with its path>`,
        );
        return;
      }
    } catch (err) {
      notes.push(`cannot list access entries: ${(err as Error).message.split('\n')[0]}`);
      if (mode === 'API') {
        add(
          rule,
          title,
          authenticated ? 'pass' : 'unknown',
          [authenticated, ...notes].filter(Boolean).join('; '),
          clusterRef(),
        );
        return;
      }
    } finally {
      eks.destroy();
    }
  }
  if (tokenRejected) {
    add(
      rule,
      title,
      'fail',
      [...notes, `the cluster rejected the token (HTTP 401): ${roleArn} is not mapped`].join('; '),
      clusterRef(),
      `${grantFix(roleArn)}${mode === 'CONFIG_MAP' ? ' --via aws-auth' : ''}`,
    );
    return;
  }
  if (!conn) {
    add(rule, title, 'unknown', [...notes, 'aws-auth not read: no connection to the cluster'].join('; '), clusterRef());
    return;
  }
  const awsAuth = await readAwsAuthConfigMap(conn);
  if (awsAuth.ok) {
    const m = mapAwsAuth(parseAwsAuth(awsAuth.value.data, { file: 'kube-system/aws-auth (live)' }), callerArn);
    if (m.result === 'mapped')
      add(
        rule,
        title,
        'pass',
        `aws-auth ${m.via}${m.entry ? ` ${m.entry.arn}` : ''} → ${m.username}${m.groups.length ? ` (groups ${m.groups.join(', ')})` : ''}`,
        clusterRef(),
      );
    else add(rule, title, 'fail', [...notes, m.reason].join('; '), clusterRef(), `${grantFix(roleArn)} --via aws-auth`);
    return;
  }
  if (awsAuth.status === 404) {
    add(
      rule,
      title,
      authenticated ? 'pass' : 'fail',
      [authenticated, ...notes, 'no kube-system/aws-auth ConfigMap'].filter(Boolean).join('; '),
      clusterRef(),
      grantFix(roleArn),
    );
    return;
  }
  add(
    rule,
    title,
    authenticated ? 'pass' : 'unknown',
    [authenticated, ...notes, `aws-auth not readable: ${awsAuth.message}`].filter(Boolean).join('; '),
    clusterRef(),
  );
}
