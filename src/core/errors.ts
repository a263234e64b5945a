/**
 * Errors that reach the user. Every one carries where it came from (file, line, field) so the CLI can print a
 * single line without a stack trace; the stack is kept for `--debug`.
 */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  /** Dotted path of the offending field, e.g. `spec.ingress[0].ports[1].port`. */
  field?: string;
}

export type ErrorKind = 'usage' | 'input' | 'io' | 'internal' | 'network' | 'auth';

export class RampartError extends Error {
  readonly kind: ErrorKind;
  readonly location: ErrorLocation;

  constructor(kind: ErrorKind, message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RampartError';
    this.kind = kind;
    this.location = location;
  }

  /** `file:line:column: field: message` with the parts that are known. */
  toLine(): string {
    return formatLocated(this.message, this.location);
  }
}

/** A bad command line: exit code 2. */
export class UsageError extends RampartError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}

/** Input that could not be read or understood: names the file, line or field. */
export class InputError extends RampartError {
  constructor(message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super('input', message, location, options);
    this.name = 'InputError';
  }
}

export function formatLocated(message: string, location: ErrorLocation): string {
  let where = '';
  if (location.file) {
    where = location.file;
    if (location.line !== undefined) {
      where += `:${location.line}`;
      if (location.column !== undefined) where += `:${location.column}`;
    }
  }
  const field = location.field ? `${location.field}: ` : '';
  return where ? `${where}: ${field}${message}` : `${field}${message}`;
}

/**
 * A problem with one input that did not stop the run (a malformed document, an unreadable file). Reported in
 * `errors[]` of every output and reflected in the exit code.
 */
export interface InputProblem {
  message: string;
  file?: string;
  line?: number;
  column?: number;
  field?: string;
  /** `error` made something unreadable; `warning` was read with a caveat. */
  level: 'error' | 'warning';
}

export function problemFromError(err: unknown, fallback: ErrorLocation = {}): InputProblem {
  if (err instanceof RampartError) {
    return { message: err.message, level: 'error', ...fallback, ...stripUndefined(err.location) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { message, level: 'error', ...stripUndefined(fallback) };
}

export function formatProblem(p: InputProblem): string {
  return formatLocated(p.message, p);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
