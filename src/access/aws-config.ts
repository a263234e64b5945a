import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../core/index.js';

/**
 * `~/.aws/config` and `~/.aws/credentials` as the AWS CLI v2 reads them: sections, profiles merged from both files,
 * sso-sessions, classification, role chains and the SSO token cache. Secret values are kept out of every view this
 * module returns (only key names and non-secret settings leave it).
 */

export interface IniSection {
  /** Header text inside the brackets, trimmed. */
  header: string;
  line: number;
  values: Record<string, string>;
  /** Nested blocks (`s3 =` followed by indented keys). */
  nested: Record<string, Record<string, string>>;
}

/** Parses the AWS INI dialect; a malformed line is an InputError with file:line. */
export function parseIni(text: string, file: string): IniSection[] {
  const sections: IniSection[] = [];
  let current: IniSection | undefined;
  let nestedKey: string | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    if (trimmed.startsWith('[')) {
      if (!trimmed.endsWith(']')) throw new InputError(`section header "${trimmed}" is missing "]"`, { file, line });
      const header = trimmed.slice(1, -1).trim();
      if (header === '') throw new InputError('empty section header', { file, line });
      current = { header, line, values: {}, nested: {} };
      sections.push(current);
      nestedKey = undefined;
      return;
    }
    if (!current) throw new InputError('a key outside any [section]', { file, line });
    const indented = /^\s/.test(raw);
    const eq = trimmed.indexOf('=');
    if (indented && nestedKey !== undefined) {
      if (eq < 0) throw new InputError(`expected "key = value" in the nested "${nestedKey}" block`, { file, line });
      (current.nested[nestedKey] ??= {})[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
      return;
    }
    if (eq <= 0) throw new InputError(`expected "key = value", got "${trimmed.slice(0, 40)}"`, { file, line });
    const key = trimmed.slice(0, eq).trim();
    const value = trimmed.slice(eq + 1).trim();
    if (value === '') {
      nestedKey = key;
      current.nested[key] ??= {};
    } else nestedKey = undefined;
    current.values[key] = value;
  });
  return sections;
}

export type ProfileKind =
  | 'sso-session'
  | 'sso-legacy'
  | 'assume-role'
  | 'web-identity'
  | 'credential-process'
  | 'static'
  | 'static-session'
  | 'none';

export interface AwsProfile {
  name: string;
  kind: ProfileKind;
  region?: string;
  /** Non-secret settings; secret keys appear with the value `<redacted>`. */
  settings: Record<string, string>;
  sources: Array<{ file: string; line: number }>;
  /** Problems the AWS CLI would report for this profile. */
  problems: string[];
  /** For assume-role profiles: the profiles credentials come from, in order (ends at the source of base credentials). */
  chain?: string[];
  sso?: { startUrl?: string; region?: string; accountId?: string; roleName?: string; session?: string };
}

export interface AwsConfig {
  configFile: string;
  credentialsFile: string;
  profiles: Map<string, AwsProfile>;
  ssoSessions: Map<string, Record<string, string>>;
  /** The profile in effect: AWS_PROFILE, else `default`. */
  activeProfile: string;
  /** Environment credentials that override every profile (AWS_ACCESS_KEY_ID …): names only. */
  envCredentials: string[];
  /** Non-fatal notes (sections the CLI ignores). */
  warnings: string[];
}

const SECRET_KEYS = new Set(['aws_secret_access_key', 'aws_session_token', 'aws_security_token']);
const REDACTED = '<redacted>';

export function awsConfigPaths(env: NodeJS.ProcessEnv = process.env): {
  config: string;
  credentials: string;
  home: string;
} {
  const home = env.HOME || env.USERPROFILE || homedir();
  return {
    home,
    config: env.AWS_CONFIG_FILE || join(home, '.aws', 'config'),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(home, '.aws', 'credentials'),
  };
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`cannot read: ${(err as Error).message}`, { file });
  }
}

function classify(v: Record<string, string>): ProfileKind {
  if (v.role_arn && v.web_identity_token_file) return 'web-identity';
  if (v.role_arn) return 'assume-role';
  if (v.sso_account_id || v.sso_role_name || v.sso_session) return v.sso_session ? 'sso-session' : 'sso-legacy';
  if (v.aws_access_key_id && v.aws_secret_access_key) return v.aws_session_token ? 'static-session' : 'static';
  if (v.credential_process) return 'credential-process';
  return 'none';
}

/** Reads and interprets both files. Missing files are empty; malformed ones are InputErrors with file:line. */
export function loadAwsConfig(env: NodeJS.ProcessEnv = process.env): AwsConfig {
  const paths = awsConfigPaths(env);
  const config: AwsConfig = {
    configFile: paths.config,
    credentialsFile: paths.credentials,
    profiles: new Map(),
    ssoSessions: new Map(),
    activeProfile: env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default',
    envCredentials: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'].filter((k) => env[k]),
    warnings: [],
  };
  const raw = new Map<string, { values: Record<string, string>; sources: Array<{ file: string; line: number }> }>();
  const add = (name: string, values: Record<string, string>, file: string, line: number) => {
    const r = raw.get(name) ?? { values: {}, sources: [] };
    Object.assign(r.values, values);
    r.sources.push({ file, line });
    raw.set(name, r);
  };
  const configText = readOptional(paths.config);
  for (const s of configText === undefined ? [] : parseIni(configText, paths.config)) {
    const [word, ...rest] = s.header.split(/\s+/);
    const name = rest.join(' ');
    if (s.header === 'default') add('default', s.values, paths.config, s.line);
    else if (word === 'profile' && name) add(name, s.values, paths.config, s.line);
    else if (word === 'sso-session' && name) config.ssoSessions.set(name, s.values);
    else if (word === 'services' || word === 'plugins') continue;
    else
      config.warnings.push(
        `${paths.config}:${s.line}: section [${s.header}] is ignored (profiles are [profile NAME] in the config file)`,
      );
  }
  // The credentials file uses bare names and wins over the config file for the same keys.
  const credText = readOptional(paths.credentials);
  for (const s of credText === undefined ? [] : parseIni(credText, paths.credentials))
    add(s.header, s.values, paths.credentials, s.line);

  for (const [name, r] of raw) {
    const v = r.values;
    const settings: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) settings[k] = SECRET_KEYS.has(k) ? REDACTED : val;
    const profile: AwsProfile = {
      name,
      kind: classify(v),
      region: v.region,
      settings,
      sources: r.sources,
      problems: [],
    };
    if (profile.kind === 'sso-session' || profile.kind === 'sso-legacy') checkSso(profile, v, config.ssoSessions);
    config.profiles.set(name, profile);
  }
  for (const profile of config.profiles.values()) if (profile.kind === 'assume-role') resolveChain(profile, raw);
  return config;
}

function checkSso(profile: AwsProfile, v: Record<string, string>, sessions: Map<string, Record<string, string>>): void {
  const session = v.sso_session ? sessions.get(v.sso_session) : undefined;
  if (v.sso_session && !session) profile.problems.push(`The specified sso-session does not exist: "${v.sso_session}"`);
  const from = (key: string) => (session ? (session[key] ?? v[key]) : v[key]);
  if (session) {
    for (const key of ['sso_start_url', 'sso_region'])
      if (v[key] && session[key] && v[key] !== session[key])
        profile.problems.push(
          `The value for ${key} is inconsistent between profile (${v[key]}) and sso-session (${session[key]})`,
        );
  }
  const missing = ['sso_start_url', 'sso_region'].filter((k) => !from(k));
  for (const k of ['sso_account_id', 'sso_role_name']) if (!v[k]) missing.push(k);
  if (missing.length && (session || !v.sso_session))
    profile.problems.push(
      `The profile "${profile.name}" is configured to use SSO but is missing required configuration: ${missing.join(', ')}`,
    );
  profile.sso = {
    startUrl: from('sso_start_url'),
    region: from('sso_region'),
    accountId: v.sso_account_id,
    roleName: v.sso_role_name,
    session: v.sso_session,
  };
}

function resolveChain(profile: AwsProfile, raw: Map<string, { values: Record<string, string> }>): void {
  const chain: string[] = [];
  let current = profile.name;
  const seen = new Set<string>([current]);
  for (;;) {
    const v = raw.get(current)?.values;
    if (!v) {
      profile.problems.push(`source profile "${current}" does not exist`);
      break;
    }
    if (!v.role_arn) break;
    if (v.credential_source) {
      if (v.source_profile)
        profile.problems.push(`profile "${current}" sets both source_profile and credential_source`);
      chain.push(`credential_source:${v.credential_source}`);
      break;
    }
    const next = v.source_profile;
    if (!next) {
      profile.problems.push(`profile "${current}" has role_arn but neither source_profile nor credential_source`);
      break;
    }
    chain.push(next);
    // A profile may name itself when it also holds static keys (role from its own keys).
    if (next === current && v.aws_access_key_id) break;
    if (seen.has(next)) {
      profile.problems.push(`source_profile loop: ${[...seen, next].join(' → ')}`);
      break;
    }
    seen.add(next);
    current = next;
  }
  profile.chain = chain;
}

// ---------------------------------------------------------------------------------------------------------------
// SSO token cache

export type SsoTokenState = 'missing' | 'invalid' | 'valid' | 'expired-refreshable' | 'expired';

export interface SsoTokenStatus {
  state: SsoTokenState;
  file: string;
  /** Minutes until expiry (negative when expired). */
  minutesLeft?: number;
  expiresAt?: string;
  message: string;
}

/** `~/.aws/sso/cache/<sha1(session name, else start URL)>.json` — not moved by AWS_CONFIG_FILE. */
export function ssoTokenCachePath(key: string, home = awsConfigPaths().home): string {
  return join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update(key).digest('hex')}.json`);
}

/** Reads the cached SSO token's metadata; the token itself never leaves this function. */
export function ssoTokenStatus(profile: AwsProfile, options: { home?: string; now?: Date } = {}): SsoTokenStatus {
  const sso = profile.sso;
  const key = sso?.session ?? sso?.startUrl;
  const loginCmd = `aws sso login ${sso?.session ? `--sso-session ${sso.session}` : `--profile ${profile.name}`}`;
  if (!key) return { state: 'invalid', file: '', message: `profile ${profile.name} has no SSO start URL or session` };
  const file = ssoTokenCachePath(key, options.home);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { state: 'missing', file, message: `Token for ${key} does not exist; run: ${loginCmd}` };
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { state: 'invalid', file, message: `Token for ${key} is invalid (not JSON); run: ${loginCmd}` };
  }
  const expiresAt = typeof doc.expiresAt === 'string' ? doc.expiresAt : undefined;
  const expiry = expiresAt ? Date.parse(expiresAt) : Number.NaN;
  if (typeof doc.accessToken !== 'string' || Number.isNaN(expiry))
    return { state: 'invalid', file, message: `Token for ${key} is invalid; run: ${loginCmd}` };
  const now = (options.now ?? new Date()).getTime();
  const minutesLeft = Math.floor((expiry - now) / 60_000);
  if (expiry > now)
    return { state: 'valid', file, minutesLeft, expiresAt, message: `valid, expires in ${minutesLeft} min` };
  const registration =
    typeof doc.registrationExpiresAt === 'string' ? Date.parse(doc.registrationExpiresAt) : Number.NaN;
  if (sso?.session && typeof doc.refreshToken === 'string' && registration > now)
    return {
      state: 'expired-refreshable',
      file,
      minutesLeft,
      expiresAt,
      message: 'expired but refreshable (the SDK refreshes it)',
    };
  return { state: 'expired', file, minutesLeft, expiresAt, message: `expired; run: ${loginCmd}` };
}

/** One line per profile for people: name, kind, region, problems. No secret ever appears. */
export function describeProfiles(config: AwsConfig): string[] {
  return [...config.profiles.values()].map((p) => {
    const extra = p.chain?.length ? ` via ${p.chain.join(' → ')}` : '';
    const issues = p.problems.length ? `  ! ${p.problems.join('; ')}` : '';
    return `${p.name}${p.name === config.activeProfile ? ' *' : ''}  ${p.kind}${extra}  ${p.region ?? '-'}${issues}`;
  });
}
