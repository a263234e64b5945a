import { type ChildProcess, spawn } from 'node:child_process';
import { REPO_ROOT } from '../../support/cli.js';

export interface ServedHub {
  url: string;
  token?: string;
  stderr: () => string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Runs `rampart serve …` from the sources and waits for its "listening on" line. */
export async function serveHub(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServedHub> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/dev.ts', 'serve', '--port', '0', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rampart serve did not start in 60 s:\n${err}`)), 60_000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (
        m?.[1] &&
        err.includes('scan on push:') &&
        (err.includes('API token') || args.includes('--no-auth') || /\n$/.test(err))
      ) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`rampart serve exited with ${code}:\n${err}`));
    });
  });
  await new Promise((r) => setTimeout(r, 100));
  const token = /API token \(shown once, stored hashed\): (\S+)/.exec(err)?.[1];
  return {
    url,
    ...(token ? { token } : {}),
    stderr: () => err,
    process: child,
    stop: () => stopChild(child),
  };
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
