import type { Command } from 'commander';
import { register as access } from './access.js';
import { register as audit } from './audit.js';
import { register as lint } from './lint.js';
import { register as netpol } from './netpol.js';
import { register as snapshot } from './snapshot.js';

/** Every command group, in the order `rampart --help` lists them. Each engine owns one file here. */
export const COMMAND_GROUPS: Array<(program: Command) => void> = [snapshot, access, audit, netpol, lint];
