import { type Command, Option } from 'commander';
import {
  canIFromFiles,
  formatCanI,
  formatGrant,
  formatPermissions,
  formatWhoCan,
  type KubeconfigOptions,
  permissionsFromFiles,
  planGrant,
  pullAwsSnapshot,
  risksFromFiles,
  runDoctor,
  tokenCommand,
  updateKubeconfig,
  whoCanFromFiles,
} from '../../access/index.js';
import { addFindingOptions, emitResult, type FindingOptions, writeText } from '../output.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function addQuestionOptions(cmd: Command): Command {
  return cmd
    .option('--aws-snapshot <dir>', 'EKS/IAM API responses (DescribeCluster, access entries, policies) as JSON files')
    .option('-n, --namespace <ns>', 'namespace of the request (default: default)')
    .option('-A, --all-namespaces', 'ask about all namespaces (cluster-wide grants only)')
    .option('--subresource <s>', 'subresource, e.g. exec, log, status')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'));
}

interface QuestionFlags {
  awsSnapshot?: string;
  namespace?: string;
  allNamespaces?: boolean;
  subresource?: string;
  output: 'text' | 'json';
}

export function register(program: Command): void {
  const access = program
    .command('access')
    .description('IAM → Kubernetes identity → RBAC and EKS access policies: can-i, who-can, risks');

  addFindingOptions(
    access
      .command('risks')
      .description('risky RBAC grants, aws-auth mistakes and powerful access entries, with file:line')
      .argument('<paths...>', 'snapshot files or directories (read recursively)')
      .option('--aws-snapshot <dir>', 'EKS/IAM API responses as JSON files (access entries, IAM roles)')
      .addHelpText('after', '\nExample:\n  rampart access risks examples/acme --aws-snapshot examples/acme-aws'),
  ).action((paths: string[], opts: FindingOptions & { awsSnapshot?: string }) => {
    process.exitCode = emitResult(risksFromFiles(paths, opts), opts);
  });

  addQuestionOptions(
    access
      .command('can-i')
      .description('like kubectl auth can-i, over files and EKS-aware; prints yes/no (exit 0/1) and why')
      .argument('<args...>', 'snapshot paths, then VERB [TYPE[.GROUP][/NAME] | NONRESOURCEURL]')
      .requiredOption('--as <user|IAM ARN>', 'Kubernetes username, or an IAM role/user/assumed-role ARN')
      .option('--as-group <group>', 'exact groups of the user (repeatable); drops access policies', collect)
      .addHelpText(
        'after',
        '\nExamples:\n  rampart access can-i examples/acme --aws-snapshot examples/acme-aws create pods --subresource exec -n payments \\\n    --as arn:aws:sts::111122223333:assumed-role/payments-team/alice\n  rampart access can-i examples/acme get /metrics --as system:serviceaccount:monitoring:prometheus',
      ),
  ).action((args: string[], opts: QuestionFlags & { as: string; asGroup?: string[] }) => {
    const r = canIFromFiles(args, { ...opts, asGroups: opts.asGroup });
    writeText(formatCanI(r, opts.output));
    process.exitCode = r.allowed ? 0 : 1;
  });

  addQuestionOptions(
    access
      .command('who-can')
      .description('Kubernetes subjects allowed to make a request, and the IAM principals mapped to them')
      .argument('<args...>', 'snapshot paths, then VERB TYPE[.GROUP][/NAME] | NONRESOURCEURL')
      .addHelpText(
        'after',
        '\nExample:\n  rampart access who-can examples/acme --aws-snapshot examples/acme-aws get secrets -n payments',
      ),
  ).action((args: string[], opts: QuestionFlags) => {
    writeText(formatWhoCan(whoCanFromFiles(args, opts), opts.output));
  });

  access
    .command('token')
    .description('print an EKS bearer token as an ExecCredential (what `aws eks get-token` prints), natively')
    .requiredOption('--cluster <name>', 'cluster name (or Outposts cluster id)')
    .requiredOption('--region <region>', "the cluster's Region (the STS endpoint used)")
    .option('--profile <profile>', 'AWS profile (SSO included); default: the SDK chain (env, AWS_PROFILE, …)')
    .option('--role-arn <arn>', 'assume this role first (session name EKSGetTokenAuth)')
    .addHelpText(
      'after',
      '\nExample (kubeconfig exec plugin):\n  rampart access token --cluster acme-prod --region eu-west-1 --profile dev-admin',
    )
    .action(async (opts: { cluster: string; region: string; profile?: string; roleArn?: string }) => {
      const r = await tokenCommand({ ...opts, execInfo: process.env.KUBERNETES_EXEC_INFO });
      if (r.warning) process.stderr.write(`rampart: ${r.warning}\n`);
      process.stdout.write(r.json);
    });

  access
    .command('kubeconfig')
    .description('aws eks update-kubeconfig, natively: DescribeCluster and the same kubeconfig entries (0600, atomic)')
    .requiredOption('--name <cluster>', 'cluster name')
    .requiredOption('--region <region>', "the cluster's Region")
    .option('--profile <profile>', 'AWS profile (SSO included); also written as AWS_PROFILE in the exec env')
    .option('--role-arn <arn>', 'role the exec plugin assumes for the token')
    .option('--alias <name>', 'context name (default: the user name)')
    .option('--user-alias <name>', 'user name (default: the cluster ARN)')
    .option('--kubeconfig <file>', 'file to update (default: first of $KUBECONFIG, else ~/.kube/config)')
    .addOption(
      new Option('--exec <plugin>', 'exec plugin written to the user entry').choices(['aws', 'rampart']).default('aws'),
    )
    .option('--endpoint-url <url>', 'EKS endpoint override (testing, VPC endpoints)')
    .option('--dry-run', 'print the merged kubeconfig instead of writing it')
    .addHelpText(
      'after',
      '\nExample:\n  rampart access kubeconfig --profile dev-admin --region eu-west-1 --name acme-prod --alias prod',
    )
    .action(async (opts: Omit<KubeconfigOptions, 'env'>) => {
      const r = await updateKubeconfig({ ...opts, env: process.env });
      process.stdout.write(r.written ? `${r.message}\n` : r.yaml);
    });

  access
    .command('grant')
    .description(
      'Role + RoleBinding and the access-entry or aws-auth change giving an IAM principal view/edit/admin in a namespace, with a proof',
    )
    .requiredOption('--iam-arn <arn>', 'IAM role or user ARN (SSO role ARNs with their path are fine)')
    .requiredOption('-n, --namespace <ns>', 'namespace to grant in')
    .addOption(new Option('--role <level>', 'what to grant').choices(['view', 'edit', 'admin']).makeOptionMandatory())
    .addOption(
      new Option('--via <mapping>', 'how IAM maps to Kubernetes')
        .choices(['access-entry', 'aws-auth'])
        .default('access-entry'),
    )
    .option('--cluster-name <name>', 'cluster name for the create-access-entry command')
    .addHelpText(
      'after',
      '\nExample:\n  rampart access grant --iam-arn arn:aws:iam::111122223333:role/payments-team -n payments --role edit --via aws-auth',
    )
    .action(
      (opts: {
        iamArn: string;
        namespace: string;
        role: 'view' | 'edit' | 'admin';
        via: 'access-entry' | 'aws-auth';
        clusterName?: string;
      }) => {
        const plan = planGrant(opts);
        writeText(formatGrant(plan));
        process.exitCode = plan.proof.ok ? 0 : 1;
      },
    );

  addFindingOptions(
    access
      .command('doctor')
      .description('check every step from SSO login to a working kubectl context; each failure names its fix')
      .requiredOption('--profile <profile>', 'AWS profile (SSO)')
      .requiredOption('--region <region>', "the cluster's Region")
      .requiredOption('--name <cluster>', 'cluster name')
      .option('--kubeconfig <file>', 'kubeconfig to check (default: first of $KUBECONFIG, else ~/.kube/config)')
      .option('--endpoint-url <url>', 'EKS/STS endpoint override (testing, VPC endpoints)')
      .option(
        '--can-i <words>',
        'access to confirm through the cluster, kubectl auth can-i words (repeatable; default "list pods")',
        collect,
      )
      .option('-n, --namespace <ns>', 'namespace of the --can-i checks (default: default)')
      .addHelpText(
        'after',
        '\nExample:\n  rampart access doctor --profile dev-admin --region eu-west-1 --name acme-prod --show-passed \\\n    --can-i "list pods" --can-i "create pods --subresource exec" -n payments',
      ),
  ).action(
    async (
      opts: FindingOptions & {
        profile: string;
        region: string;
        name: string;
        kubeconfig?: string;
        endpointUrl?: string;
        canI?: string[];
        namespace?: string;
      },
    ) => {
      process.exitCode = emitResult(await runDoctor({ ...opts, checks: opts.canI, env: process.env }), opts);
    },
  );

  access
    .command('pull')
    .description(
      'read the AWS side live into an --aws-snapshot directory: DescribeCluster, access entries, their access policies, IAM roles and users',
    )
    .requiredOption('--name <cluster>', 'cluster name')
    .requiredOption('--region <region>', "the cluster's Region")
    .requiredOption('--output-dir <dir>', 'new or empty directory to write the API responses into')
    .option('--profile <profile>', 'AWS profile (SSO included); default: the SDK chain')
    .option('--no-iam', 'skip IAM ListRoles/ListUsers')
    .option('--endpoint-url <url>', 'EKS endpoint override (testing, VPC endpoints)')
    .option('--iam-endpoint-url <url>', 'IAM endpoint override (testing)')
    .addHelpText(
      'after',
      '\nExample:\n  rampart access pull --profile dev-admin --region eu-west-1 --name acme-prod --output-dir aws/ \\\n    && rampart access risks snap/ --aws-snapshot aws/',
    )
    .action(
      async (opts: {
        name: string;
        region: string;
        outputDir: string;
        profile?: string;
        iam: boolean;
        endpointUrl?: string;
        iamEndpointUrl?: string;
      }) => {
        const r = await pullAwsSnapshot({ ...opts, skipIam: !opts.iam });
        process.stdout.write(`wrote ${r.files.length} API responses to ${r.dir}\n`);
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
        for (const p of r.snapshot.problems) process.stderr.write(`${p.level}: ${p.message}\n`);
      },
    );

  access
    .command('permissions')
    .description('verbs × resources × namespaces a Kubernetes user or IAM principal holds, each with its grant')
    .argument('<args...>', 'snapshot paths, then a Kubernetes username or an IAM ARN')
    .option('--aws-snapshot <dir>', 'EKS/IAM API responses as JSON files (access entries and policies)')
    .option('--as-group <group>', 'exact groups of the user (repeatable); drops access policies', collect)
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      '\nExample:\n  rampart access permissions examples/acme --aws-snapshot examples/acme-aws arn:aws:iam::111122223333:role/payments-team',
    )
    .action((args: string[], opts: { awsSnapshot?: string; asGroup?: string[]; output: 'text' | 'json' }) => {
      writeText(formatPermissions(permissionsFromFiles(args, { ...opts, asGroups: opts.asGroup }), opts.output));
    });
}
