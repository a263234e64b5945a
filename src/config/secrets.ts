/** Names that say a value is a credential (env vars, build args, labels, ConfigMap keys). */
const SECRET_NAME_RE =
  /(?:^|[_.-])(?:pass(?:word|wd)?|pwd|secret|token|api[_.-]?key|apikey|access[_.-]?key|private[_.-]?key|client[_.-]?secret|credentials?|auth[_.-]?token|session[_.-]?key|signing[_.-]?key|encryption[_.-]?key)(?:$|[_.-])/i;

/** Names that merely mention a secret's location or id, not the secret itself. */
const BENIGN_NAME_RE = /(?:_file|_path|_dir|_id|_name|_url|_endpoint|_arn|_region|_length|_type|_header|_version)$/i;

/** Value shapes that are credentials whatever they are called. */
const SECRET_VALUE_PATTERNS: Array<{ name: string; re: RegExp }> = [
  { name: 'AWS access key id', re: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
  { name: 'private key', re: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/ },
  { name: 'GitHub token', re: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { name: 'GitLab token', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/ },
  { name: 'Slack token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/ },
  { name: 'Stripe key', re: /\b[sr]k_live_[A-Za-z0-9]{20,}\b/ },
  { name: 'Google API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { name: 'JWT', re: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b/ },
  { name: 'password in URL', re: /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@$]{3,}@/i },
];

export function isSecretName(name: string): boolean {
  return SECRET_NAME_RE.test(name) && !BENIGN_NAME_RE.test(name);
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Values that are clearly placeholders or references, not secrets. */
function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v === '' || v.length < 4) return true;
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(v)) return true;
  if (
    /^(?:changeme|change[_-]?me|placeholder|example|dummy|none|null|false|true|secret|password|xxx+|\*+|<[^>]+>)$/i.test(
      v,
    )
  )
    return true;
  if (v.startsWith('/') || v.startsWith('./')) return true;
  return false;
}

export interface SecretMatch {
  /** What gave it away: a value pattern name, or `name` for a credential-like name with a literal value. */
  kind: string;
}

/**
 * Is this name/value pair a hard-coded credential? A known value shape always is; a credential-like name is when
 * its value is a literal that is not a placeholder, reference or path.
 */
export function detectSecret(name: string, value: string | null | undefined): SecretMatch | undefined {
  if (value === null || value === undefined) return undefined;
  for (const p of SECRET_VALUE_PATTERNS) if (p.re.test(value)) return { kind: p.name };
  if (isSecretName(name) && !isPlaceholder(value)) return { kind: 'credential-like name with a literal value' };
  if (
    value.length >= 20 &&
    !/\s/.test(value) &&
    shannonEntropy(value) >= 4.5 &&
    /[0-9]/.test(value) &&
    /[A-Za-z]/.test(value)
  ) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.includes('/')) return undefined;
    return { kind: 'high-entropy value' };
  }
  return undefined;
}

/** Never print a secret: keep the first characters so a reader can find it. */
export function redact(value: string): string {
  return value.length <= 4 ? '****' : `${value.slice(0, 4)}****`;
}
