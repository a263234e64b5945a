import { InputError } from '../core/index.js';

/**
 * Who-can answers pushed with an audit (`context.access`): for a fixed list of sensitive questions, per namespace,
 * the subjects holding the grant, the IAM principals behind them and the binding that grants it.
 */
export interface AccessQuestion {
  id: string;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** `cluster`: asked once, cluster-wide; its answer sits under the namespace `(cluster)`. */
  scope: 'namespace' | 'cluster';
}

export interface AccessSubject {
  /** User, Group, ServiceAccount, or `AccessEntry` (an IAM principal an EKS access policy allows directly). */
  kind: string;
  name: string;
  namespace?: string;
  /** IAM principals that authenticate as this subject (aws-auth, access entries), when known. */
  iam: Array<{ principalArn: string; via: string; inactive?: string }>;
  /** The binding → role → rule (or access policy) that grants it. */
  via: string;
  file?: string;
  line?: number;
}

export interface AccessAnswer {
  namespace: string;
  question: string;
  subjects: AccessSubject[];
  /** Subjects holding the grant; more than `subjects.length` when the pusher capped the list. */
  total: number;
  unknowns: string[];
}

export interface AccessContext {
  questions: AccessQuestion[];
  subjectCap: number;
  answers: AccessAnswer[];
}

/** `GET /api/v1/access`: the latest pushed answers of a cluster, narrowed by namespace, question and text. */
export interface ClusterAccess {
  cluster: string;
  scanId: string | null;
  createdAt: string | null;
  questions: AccessQuestion[];
  namespaces: string[];
  subjectCap: number | null;
  answers: AccessAnswer[];
  reason?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new InputError('expected a string', { field });
  return v;
}

function optStr(v: unknown, field: string): string | undefined {
  return v === undefined ? undefined : str(v, field);
}

function arr(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new InputError('expected an array', { field });
  return v;
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (!isObj(v)) throw new InputError('expected an object', { field });
  return v;
}

function count(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new InputError('expected a non-negative integer', { field });
  return v;
}

/** Checks `context.access` and names the first bad field, e.g. `context.access.answers[3].subjects[0].kind`. */
export function validateAccessContext(value: unknown, field = 'context.access'): AccessContext {
  const o = obj(value, field);
  const questions = arr(o.questions, `${field}.questions`).map((raw, i): AccessQuestion => {
    const f = `${field}.questions[${i}]`;
    const q = obj(raw, f);
    const id = str(q.id, `${f}.id`);
    const verb = str(q.verb, `${f}.verb`);
    const group = str(q.group, `${f}.group`);
    const resource = str(q.resource, `${f}.resource`);
    const subresource = optStr(q.subresource, `${f}.subresource`);
    const scope = str(q.scope, `${f}.scope`);
    if (scope !== 'namespace' && scope !== 'cluster')
      throw new InputError('expected "namespace" or "cluster"', { field: `${f}.scope` });
    return { id, verb, group, resource, ...(subresource ? { subresource } : {}), scope };
  });
  const ids = new Set(questions.map((q) => q.id));
  const answers = arr(o.answers, `${field}.answers`).map((raw, i): AccessAnswer => {
    const f = `${field}.answers[${i}]`;
    const a = obj(raw, f);
    const question = str(a.question, `${f}.question`);
    if (!ids.has(question)) throw new InputError(`not one of ${field}.questions`, { field: `${f}.question` });
    const subjects = arr(a.subjects, `${f}.subjects`).map((rawS, j): AccessSubject => {
      const g = `${f}.subjects[${j}]`;
      const s = obj(rawS, g);
      const namespace = optStr(s.namespace, `${g}.namespace`);
      const file = optStr(s.file, `${g}.file`);
      const line = s.line === undefined ? undefined : count(s.line, `${g}.line`);
      return {
        kind: str(s.kind, `${g}.kind`),
        name: str(s.name, `${g}.name`),
        ...(namespace ? { namespace } : {}),
        iam: arr(s.iam ?? [], `${g}.iam`).map((rawL, k) => {
          const h = `${g}.iam[${k}]`;
          const l = obj(rawL, h);
          const inactive = optStr(l.inactive, `${h}.inactive`);
          return {
            principalArn: str(l.principalArn, `${h}.principalArn`),
            via: str(l.via, `${h}.via`),
            ...(inactive ? { inactive } : {}),
          };
        }),
        via: str(s.via, `${g}.via`),
        ...(file ? { file } : {}),
        ...(line ? { line } : {}),
      };
    });
    const total = a.total === undefined ? subjects.length : count(a.total, `${f}.total`);
    if (total < subjects.length)
      throw new InputError(`less than the ${subjects.length} subjects listed`, { field: `${f}.total` });
    return {
      namespace: str(a.namespace, `${f}.namespace`),
      question,
      subjects,
      total,
      unknowns: arr(a.unknowns ?? [], `${f}.unknowns`).map((u, k) => str(u, `${f}.unknowns[${k}]`)),
    };
  });
  return { questions, subjectCap: count(o.subjectCap, `${field}.subjectCap`), answers };
}

function subjectText(s: AccessSubject): string {
  return [s.kind, s.namespace ?? '', s.name, s.via, ...s.iam.map((l) => l.principalArn)].join(' ').toLowerCase();
}

/** Narrows the stored answers; `filter` keeps the subjects whose kind, name, binding or IAM principal contains it. */
export function selectAccess(
  base: Omit<ClusterAccess, 'answers' | 'namespaces' | 'questions' | 'subjectCap'>,
  context: AccessContext,
  query: { namespace?: string; question?: string; filter?: string },
): ClusterAccess {
  const needle = query.filter?.trim().toLowerCase();
  const answers = context.answers
    .filter((a) => !query.namespace || a.namespace === query.namespace)
    .filter((a) => !query.question || a.question === query.question)
    .map((a) => (needle ? { ...a, subjects: a.subjects.filter((s) => subjectText(s).includes(needle)) } : a));
  return {
    ...base,
    questions: context.questions,
    namespaces: [...new Set(context.answers.map((a) => a.namespace))].sort(),
    subjectCap: context.subjectCap,
    answers,
  };
}
