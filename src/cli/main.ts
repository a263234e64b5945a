import { Command, CommanderError } from 'commander';
import { RampartError } from '../core/index.js';
import { COMMAND_GROUPS } from './commands/index.js';
import { TOOL_VERSION } from './version.js';

/** The top-level command an argument list runs: its first word that is not an option (or an option's value). */
export function commandWordOf(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--cache-dir') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a === 'help' ? argv.slice(i + 1).find((x) => !x.startsWith('-')) : a;
  }
  return undefined;
}

/**
 * Builds the CLI for one invocation. Only the command group being run is imported; for `rampart --help` (or an
 * unknown command) every group is listed from its summary without loading any engine.
 */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('rampart')
    .description('Rampart: security for Amazon EKS clusters and the images they run')
    .option('--debug', 'print stack traces for errors')
    .option('--cache-dir <dir>', 'where Rampart keeps its advisory DB, layer cache and SBOMs')
    // Set before any subcommand exists so every subcommand inherits it: commander then throws instead of exiting.
    .exitOverride()
    .showHelpAfterError('(rampart --help for usage)')
    .configureHelp({ sortSubcommands: false })
    .addHelpText('after', () => {
      const examples = COMMAND_GROUPS.flatMap((g) => g.examples).map((e) => `  ${e}`);
      return `
Examples:
${examples.join('\n')}

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input errors.
Cache: --cache-dir, else $RAMPART_CACHE_DIR, else $XDG_CACHE_HOME/rampart, else ~/.cache/rampart.`;
    });
  program
    .command('version')
    .description('print the version')
    .action(() => {
      process.stdout.write(`rampart ${TOOL_VERSION} (node ${process.version})\n`);
    });
  const word = commandWordOf(argv);
  const wanted = COMMAND_GROUPS.filter((g) => word !== undefined && g.names.includes(word));
  if (wanted.length > 0) {
    for (const group of wanted) (await group.load()).register(program);
  } else {
    for (const group of COMMAND_GROUPS)
      for (const name of group.names) program.command(name).description(group.summary);
  }
  return program;
}

/** Runs the CLI; returns the exit code. Errors print one line (file:line: message), the stack only with --debug. */
export async function main(argv: string[]): Promise<number> {
  // `rampart … | head` closes stdout early: stop quietly, as Unix tools do, instead of crashing on EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = await buildProgram(argv);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version print and exit 0; everything else is a usage error
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      return 2;
    }
    if (err instanceof RampartError) {
      process.stderr.write(`rampart: ${err.toLine()}\n`);
      if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
      return err.kind === 'internal' ? 3 : 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.path === 'string') {
      process.stderr.write(`rampart: ${e.path}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.code}\n`);
      if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
      return 2;
    }
    process.stderr.write(`rampart: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    else process.stderr.write('(run with --debug for the stack trace; please report it)\n');
    return 3;
  }
}
