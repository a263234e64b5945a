import { type AccessModel, whoCan } from '../access/index.js';
import type { ScanContext } from '../hub/index.js';

// The shapes the hub validates and stores (`context.access`); only the type crosses into the hub here.
export type AccessContext = NonNullable<ScanContext['access']>;
export type AccessQuestion = AccessContext['questions'][number];
export type AccessAnswer = AccessContext['answers'][number];
export type AccessSubject = AccessAnswer['subjects'][number];

export const CLUSTER_SCOPE = '(cluster)';

/** The fixed list: reading secrets, running code, breaking isolation, owning the cluster. */
export const ACCESS_QUESTIONS: AccessQuestion[] = [
  { id: 'get secrets', verb: 'get', group: '', resource: 'secrets', scope: 'namespace' },
  { id: 'list secrets', verb: 'list', group: '', resource: 'secrets', scope: 'namespace' },
  { id: 'create pods', verb: 'create', group: '', resource: 'pods', scope: 'namespace' },
  { id: 'create pods/exec', verb: 'create', group: '', resource: 'pods', subresource: 'exec', scope: 'namespace' },
  {
    id: 'update networkpolicies',
    verb: 'update',
    group: 'networking.k8s.io',
    resource: 'networkpolicies',
    scope: 'namespace',
  },
  { id: 'patch namespaces', verb: 'patch', group: '', resource: 'namespaces', scope: 'namespace' },
  { id: '* * (cluster-wide)', verb: '*', group: '*', resource: '*', scope: 'cluster' },
];

/** Subjects listed per answer; the pushed context stays bounded whatever the cluster's RBAC looks like. */
export const SUBJECT_CAP = 50;

function answer(model: AccessModel, q: AccessQuestion, namespace: string, cap: number): AccessAnswer {
  const r = whoCan(model, {
    resourceRequest: true,
    verb: q.verb,
    apiGroup: q.group,
    resource: q.resource,
    subresource: q.subresource ?? '',
    // A namespace object is addressed by its own name: a RoleBinding in that namespace can grant it.
    name: q.resource === 'namespaces' ? namespace : '',
    namespace: q.scope === 'cluster' ? '' : namespace,
  });
  const subjects: AccessSubject[] = r.rows.map((row) => ({
    kind: row.subject.kind,
    name: row.subject.name,
    ...(row.subject.namespace ? { namespace: row.subject.namespace } : {}),
    iam: row.iam.map((l) => ({
      principalArn: l.principalArn,
      via: l.via,
      ...(l.inactive ? { inactive: l.inactive } : {}),
    })),
    via: row.reason.text,
    ...(row.reason.file ? { file: row.reason.file } : {}),
    ...(row.reason.line ? { line: row.reason.line } : {}),
  }));
  for (const p of r.accessPolicies)
    subjects.push({
      kind: 'AccessEntry',
      name: p.principalArn,
      iam: [{ principalArn: p.principalArn, via: 'access entry' }],
      via: p.reason.text,
    });
  return {
    namespace: q.scope === 'cluster' ? CLUSTER_SCOPE : namespace,
    question: q.id,
    subjects: subjects.slice(0, cap),
    total: subjects.length,
    unknowns: [...new Set([...r.unknowns, ...r.errors])],
  };
}

/** The who-can answers of the fixed questions for each namespace, through the access engine's `whoCan`. */
export function accessContextOf(model: AccessModel, namespaces: string[], cap = SUBJECT_CAP): AccessContext {
  const answers: AccessAnswer[] = [];
  for (const q of ACCESS_QUESTIONS) {
    if (q.scope === 'cluster') answers.push(answer(model, q, '', cap));
    else for (const ns of namespaces) answers.push(answer(model, q, ns, cap));
  }
  return { questions: ACCESS_QUESTIONS, subjectCap: cap, answers };
}
