import { type Command, Option } from 'commander';
import { UsageError } from '../../core/index.js';
import {
  CNIS,
  type Cni,
  MATRIX_FORMATS,
  netpolCheck,
  netpolDiff,
  netpolExplain,
  netpolLint,
  netpolMatrix,
} from '../../network/index.js';
import { addFindingOptions, emitResult, type FindingOptions, writeText } from '../output.js';

interface MatrixFlags {
  output: string;
  outputFile?: string;
  compat?: string;
  ipblockMatchesPods?: boolean;
  cni: Cni;
  focusWorkload?: string[];
  focusworkload?: string;
  focusworkloadPeer?: string;
  focusDirection?: 'ingress' | 'egress';
  focusConn?: string;
  explain?: boolean;
  explainOnly?: 'allow' | 'deny';
  exposure?: boolean;
  multipleNetworks?: string | boolean;
}

const splitList = (v: string | undefined) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const cniOption = () =>
  new Option(
    '--cni <cni>',
    'CNI whose enforcement is modelled: which policy kinds apply (calico: Calico tiers; cilium: CiliumNetworkPolicy, deny wins) and the --ipblock-matches-pods default (off for cilium)',
  )
    .choices([...CNIS])
    .default('generic');

export function register(program: Command): void {
  const netpol = program
    .command('netpol')
    .description(
      'NetworkPolicy reachability: matrix, check, explain, lint, diff (K8s NP, ANP/BANP, ClusterNetworkPolicy)',
    );

  netpol
    .command('matrix')
    .description('every ordered pair of workloads and external ranges with its allowed connections')
    // optional here only because `--multiple-networks [bool]` may swallow the first path (see the action)
    .argument('[paths...]', 'snapshot files or directories (read recursively)')
    .addOption(new Option('-o, --output <format>', 'output format').choices([...MATRIX_FORMATS]).default('txt'))
    .option('--output-file <path>', 'write to this file (atomically) instead of stdout')
    .addOption(
      new Option('--compat <tool>', "reproduce another tool's conventions and output grammar").choices([
        'netpol-analyzer',
      ]),
    )
    .addOption(cniOption())
    .option('--ipblock-matches-pods', 'ipBlock/CIDR peers also match pod IPs (default: on; off with --cni cilium)')
    .option('--no-ipblock-matches-pods', 'ipBlock/CIDR peers never match pod IPs')
    .option('--focus-workload <names...>', 'only pairs with one of these workloads (name or ns/name)')
    .option('--focusworkload <names>', 'netpol-analyzer spelling: comma-separated focus workloads')
    .option('--focusworkload-peer <names>', 'with a focus workload: only pairs whose other side is one of these')
    .addOption(
      new Option('--focus-direction <dir>', 'with a focus workload: only ingress to or egress from it').choices([
        'ingress',
        'egress',
      ]),
    )
    .option('--focus-conn <proto-port>', 'only pairs allowing this connection, e.g. tcp-80')
    .option('--explain', 'for every pair, the policies and rules behind each allowed and denied connection (txt)')
    .addOption(new Option('--explain-only <kind>', 'with --explain: only allowed or denied').choices(['allow', 'deny']))
    .option(
      '--exposure',
      'also list who else could connect: selectors that match pods or namespaces not in the snapshot (all formats; after the explanation with --explain)',
    )
    .option(
      '--multiple-networks [bool]',
      'with --compat netpol-analyzer: analyse UDN/CUDN/NAD networks, MultiNetworkPolicies and KubeVirt VMs (default off)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  rampart netpol matrix examples/acme\n  rampart netpol matrix --compat netpol-analyzer -o json <dir>',
    )
    .action((args: string[], opts: MatrixFlags) => {
      // `--multiple-networks <dir>`: the flag's optional value is true/false; anything else is the first path
      const mn = opts.multipleNetworks;
      const swallowed = typeof mn === 'string' && mn !== 'true' && mn !== 'false';
      const paths = swallowed ? [mn, ...args] : args;
      if (paths.length === 0) throw new UsageError("missing required argument 'paths'");
      const focusWorkloads = [...(opts.focusWorkload ?? []), ...(splitList(opts.focusworkload) ?? [])];
      const multipleNetworks = mn !== undefined && mn !== 'false';
      if (multipleNetworks && opts.compat !== 'netpol-analyzer')
        throw new UsageError('--multiple-networks needs --compat netpol-analyzer (UDN/CUDN/NAD analysis)');
      if (opts.explain && opts.output !== 'txt') throw new UsageError('--explain writes txt only (-o txt)');
      // under --compat netpol-analyzer these are warnings and the flag is ignored, as there
      if (!opts.compat && opts.explainOnly && !opts.explain) throw new UsageError('--explain-only needs --explain');
      if (!opts.compat && (opts.focusworkloadPeer || opts.focusDirection) && focusWorkloads.length === 0)
        throw new UsageError('--focusworkload-peer and --focus-direction need --focusworkload');
      const report = netpolMatrix({
        paths,
        format: opts.output,
        compat: opts.compat === 'netpol-analyzer' ? 'netpol-analyzer' : undefined,
        ipblockMatchesPods: opts.ipblockMatchesPods,
        cni: opts.cni,
        focusWorkloads,
        focusWorkloadPeers: splitList(opts.focusworkloadPeer),
        focusDirection: opts.focusDirection,
        focusConnText: opts.focusConn,
        explain: opts.explain,
        explainOnly: opts.explainOnly,
        exposure: opts.exposure,
        multipleNetworks,
      });
      for (const p of report.problems) process.stderr.write(`rampart: ${p.level}: ${p.text}\n`);
      if (!report.fatal)
        writeText(report.text.endsWith('\n') || report.text === '' ? report.text : `${report.text}\n`, opts.outputFile);
      // netpol-analyzer reads past junk documents (non-fatal); only an invalid policy is fatal there
      const inputErrors = opts.compat ? false : report.problems.some((p) => p.level === 'error');
      process.exitCode = report.fatal || inputErrors ? 2 : 0;
    });

  const printProblems = (problems: Array<{ level: string; text: string }>) => {
    for (const p of problems) process.stderr.write(`rampart: ${p.level}: ${p.text}\n`);
  };
  const withEol = (t: string) => (t.endsWith('\n') ? t : `${t}\n`);
  const textOrJson = () => new Option('-o, --output <format>', 'output format').choices(['txt', 'json']).default('txt');

  netpol
    .command('check')
    .description(
      'is one connection allowed? the deciding policies and rules in both directions (exit 1 when denied, 3 when unknown)',
    )
    .argument('<paths...>', 'snapshot files or directories')
    .requiredOption('--from <ref>', 'source: workload (name, ns/name) or IP address')
    .requiredOption('--to <ref>', 'destination: workload (name, ns/name) or IP address')
    .option('--port <port/proto>', 'e.g. 443/TCP (default: any connection)')
    .addOption(textOrJson())
    .option('--output-file <path>', 'write to this file (atomically) instead of stdout')
    .addOption(cniOption())
    .option('--ipblock-matches-pods', 'ipBlock/CIDR peers also match pod IPs (default: on; off with --cni cilium)')
    .option('--no-ipblock-matches-pods', 'ipBlock/CIDR peers never match pod IPs')
    .addHelpText(
      'after',
      '\nExample:\n  rampart netpol check examples/acme --from storefront/web --to payments/api --port 8443/TCP',
    )
    .action(
      (
        paths: string[],
        o: {
          from: string;
          to: string;
          port?: string;
          output: 'txt' | 'json';
          outputFile?: string;
          ipblockMatchesPods?: boolean;
          cni: Cni;
        },
      ) => {
        const r = netpolCheck({
          paths,
          from: o.from,
          to: o.to,
          port: o.port,
          format: o.output,
          ipblockMatchesPods: o.ipblockMatchesPods,
          cni: o.cni,
        });
        printProblems(r.problems);
        writeText(withEol(r.text), o.outputFile);
        // 3 for unknown: a script testing `netpol check` for success never reads it as allowed.
        process.exitCode = r.verdict === 'allowed' ? 0 : r.verdict === 'denied' ? 1 : 3;
      },
    );

  netpol
    .command('explain')
    .description('for each pair of workloads, which policy and rule allows or denies each connection')
    .argument('<paths...>', 'snapshot files or directories')
    .option('--from <ref>', 'only pairs from this workload or IP')
    .option('--to <ref>', 'only pairs to this workload or IP')
    .addOption(textOrJson())
    .option('--output-file <path>', 'write to this file (atomically) instead of stdout')
    .addOption(cniOption())
    .option('--ipblock-matches-pods', 'ipBlock/CIDR peers also match pod IPs (default: on; off with --cni cilium)')
    .option('--no-ipblock-matches-pods', 'ipBlock/CIDR peers never match pod IPs')
    .action(
      (
        paths: string[],
        o: {
          from?: string;
          to?: string;
          output: 'txt' | 'json';
          outputFile?: string;
          ipblockMatchesPods?: boolean;
          cni: Cni;
        },
      ) => {
        const r = netpolExplain({
          paths,
          from: o.from,
          to: o.to,
          format: o.output,
          ipblockMatchesPods: o.ipblockMatchesPods,
          cni: o.cni,
        });
        printProblems(r.problems);
        writeText(withEol(r.text), o.outputFile);
      },
    );

  addFindingOptions(
    netpol
      .command('lint')
      .description(
        'policy mistakes: dangling selectors, AND/OR trap, named ports, policyTypes, default deny, DNS, IMDS',
      )
      .argument('<paths...>', 'snapshot files or directories'),
  )
    .addOption(cniOption())
    .option('--ipblock-matches-pods', 'ipBlock/CIDR peers also match pod IPs (default: on; off with --cni cilium)')
    .option('--no-ipblock-matches-pods', 'ipBlock/CIDR peers never match pod IPs')
    .action((paths: string[], o: FindingOptions & { ipblockMatchesPods?: boolean; cni: Cni }) => {
      process.exitCode = emitResult(netpolLint({ paths, ipblockMatchesPods: o.ipblockMatchesPods, cni: o.cni }), o);
    });

  netpol
    .command('diff')
    .description(
      'connections added (+) and removed (-) between two snapshots: rampart netpol diff <old...> -- <new...>',
    )
    .argument('<paths...>', 'old snapshot paths, then --, then new snapshot paths')
    .addOption(textOrJson())
    .option('--output-file <path>', 'write to this file (atomically) instead of stdout')
    .addOption(cniOption())
    .option('--ipblock-matches-pods', 'ipBlock/CIDR peers also match pod IPs (default: on; off with --cni cilium)')
    .option('--no-ipblock-matches-pods', 'ipBlock/CIDR peers never match pod IPs')
    .action(
      (
        paths: string[],
        o: { output: 'txt' | 'json'; outputFile?: string; ipblockMatchesPods?: boolean; cni: Cni },
        cmd: Command,
      ) => {
        const raw = cmd.args;
        const argv = process.argv;
        const dd = argv.indexOf('--');
        const afterDd = dd >= 0 ? argv.slice(dd + 1).filter((a) => raw.includes(a)) : [];
        const before = raw.filter((a) => !afterDd.includes(a));
        if (before.length === 0 || afterDd.length === 0)
          throw new UsageError('netpol diff needs old and new snapshots: rampart netpol diff <old...> -- <new...>');
        void paths;
        const r = netpolDiff({
          before,
          after: afterDd,
          format: o.output,
          ipblockMatchesPods: o.ipblockMatchesPods,
          cni: o.cni,
        });
        printProblems(r.problems);
        writeText(withEol(r.text), o.outputFile);
      },
    );
}
