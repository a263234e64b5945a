import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseManifestText } from './load.js';
import { loadSnapshot, matchesLabelSelector } from './snapshot.js';
import { expandWorkloads } from './workloads.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('parseManifestText', () => {
  test('multi-document YAML keeps each object and its line; empty documents are ignored', () => {
    const r = parseManifestText(
      '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n',
      'x.yaml',
    );
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.documents.map((d) => [d.object.kind, d.source.line, d.source.documentIndex]),
      [
        ['ConfigMap', 2, 0],
        ['Secret', 7, 2],
      ],
    );
  });

  test('kind: List and typed lists unwrap with per-item lines; typed list items inherit kind and apiVersion', () => {
    const list = parseManifestText(
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p1}\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p2}\n',
      'l.yaml',
    );
    assert.deepEqual(
      list.documents.map((d) => [d.object.metadata?.name, d.source.line]),
      [
        ['p1', 4],
        ['p2', 7],
      ],
    );
    const typed = parseManifestText(
      'kind: NamespaceList\napiVersion: v1\nitems:\n- metadata: {name: a}\n- metadata: {name: b}\n',
      'n.yaml',
    );
    assert.deepEqual(
      typed.documents.map((d) => [d.object.kind, d.object.apiVersion, d.object.metadata?.name]),
      [
        ['Namespace', 'v1', 'a'],
        ['Namespace', 'v1', 'b'],
      ],
    );
  });

  test('JSON as kubectl prints it', () => {
    const r = parseManifestText(
      JSON.stringify(
        { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } }] },
        null,
        2,
      ),
      'x.json',
    );
    assert.equal(r.documents.length, 1);
    assert.equal(r.documents[0]?.source.line, 5);
  });

  test('a malformed document is reported with file:line and the other documents still load', () => {
    const r = parseManifestText(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok1}\n---\napiVersion: v1\nkind: [unclosed\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok2}\n',
      'bad.yaml',
    );
    assert.deepEqual(
      r.documents.map((d) => d.object.metadata?.name),
      ['ok1', 'ok2'],
    );
    assert.equal(r.problems.length, 1);
    assert.equal(r.problems[0]?.file, 'bad.yaml');
    assert.ok((r.problems[0]?.line ?? 0) >= 5, `line ${r.problems[0]?.line}`);
    assert.match(r.problems[0]?.message ?? '', /malformed YAML\/JSON document 2/);
  });

  test('incomplete objects are errors naming the field; other YAML is skipped with a warning', () => {
    const r = parseManifestText(
      'metadata: {name: a}\n---\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\n---\napiVersion: v1\nmetadata: {name: b}\n---\n[1, 2]\n',
      'f.yaml',
    );
    assert.deepEqual(
      r.problems.map((p) => [p.level, p.field, p.line]),
      [
        ['warning', 'kind', 1],
        ['error', 'apiVersion', 3],
        ['error', 'metadata.name', 6],
        ['error', 'kind', 9],
        ['warning', undefined, 12],
      ],
    );
  });

  test('what kubectl (go-yaml) accepts is accepted: tabs in flow sequences, CRLF, continued quoted scalars', () => {
    const tabbed = parseManifestText(
      'apiVersion: v1\nkind: Pod\nmetadata: {name: t}\nspec:\n  args:\n    [\n      "a",\n\t      "b",\n    ]\n',
      't.yaml',
    );
    assert.deepEqual(tabbed.problems, []);
    assert.deepEqual((tabbed.documents[0]?.object.spec as { args: string[] } | undefined)?.args, ['a', 'b']);
    const crlf = parseManifestText(
      'apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: c\r\ndata:\r\n  config: \'{\r\n    "a": 1\r\n  }\'\r\n',
      'c.yaml',
    );
    assert.deepEqual(crlf.problems, []);
    assert.equal(crlf.documents.length, 1);
  });

  test('alias bombs, deep nesting and non-object documents are errors, not crashes', () => {
    const lol = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      lol.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const bomb = parseManifestText(`${lol.join('\n')}\n`, 'bomb.yaml');
    assert.equal(bomb.documents.length, 0);
    assert.equal(bomb.problems.length, 1);
    const deep = parseManifestText(`${'['.repeat(300)}${']'.repeat(300)}`, 'deep.yaml');
    assert.equal(deep.documents.length, 0);
    assert.equal(deep.problems.length, 1);
    const scalar = parseManifestText('just a string\n', 's.yaml');
    assert.match(scalar.problems[0]?.message ?? '', /not a Kubernetes object; skipped/);
    assert.equal(scalar.problems[0]?.level, 'warning');
  });
});

describe('loadSnapshot', () => {
  test('walks directories, defaults namespaces, synthesises referenced namespaces, honours CRD scope', () => {
    const sub = join(dir, 'snap');
    mkdirSync(sub, { recursive: true });
    write(
      'snap/a.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\nspec: {template: {metadata: {labels: {app: d}}, spec: {containers: [{name: c, image: nginx}]}}}\n',
    );
    write(
      'snap/crd.yaml',
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec: {scope: Cluster, names: {kind: Widget}}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n',
    );
    write('snap/ignored.txt', 'not read');
    const snap = loadSnapshot([sub]);
    assert.deepEqual(snap.problems, []);
    assert.equal(snap.get('ConfigMap', 'default', 'cm')?.source.line, 1);
    assert.equal(snap.get('Widget', undefined, 'w')?.namespace, undefined);
    assert.deepEqual(snap.namespaces(), ['default', 'shop']);
    assert.equal(snap.get('Namespace', undefined, 'shop')?.labels['kubernetes.io/metadata.name'], 'shop');
    assert.ok(snap.get('Namespace', undefined, 'shop')?.synthesized);
  });

  test('missing paths and duplicates are reported; the rest loads', () => {
    write(
      'dup.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
    );
    const snap = loadSnapshot([join(dir, 'dup.yaml'), join(dir, 'nope')]);
    assert.equal(snap.ofKind('ConfigMap').length, 2);
    assert.deepEqual(
      snap.problems.map((p) => p.level),
      ['error', 'warning'],
    );
    assert.ok(snap.hasErrors());
  });

  test('files over the size limit are reported, not read', () => {
    const big = write(
      'big.yaml',
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {a: "${'x'.repeat(2000)}"}\n`,
    );
    const snap = loadSnapshot([big], { limits: { maxFileBytes: 1000 } });
    assert.equal(snap.objects.length, 0);
    assert.match(snap.problems[0]?.message ?? '', /over the 1000-byte limit/);
  });
});

describe('matchesLabelSelector', () => {
  const labels = { app: 'web', tier: 'frontend' };
  test('empty selector matches all, missing selector matches none', () => {
    assert.equal(matchesLabelSelector({}, labels), true);
    assert.equal(matchesLabelSelector(undefined, labels), false);
    assert.equal(matchesLabelSelector(null, labels), false);
  });
  test('matchLabels AND matchExpressions with every operator', () => {
    assert.equal(matchesLabelSelector({ matchLabels: { app: 'web' } }, labels), true);
    assert.equal(matchesLabelSelector({ matchLabels: { app: 'web', tier: 'x' } }, labels), false);
    const expr = (operator: string, values?: string[], key = 'tier') => ({
      matchExpressions: [{ key, operator, values }],
    });
    assert.equal(matchesLabelSelector(expr('In', ['frontend', 'b']), labels), true);
    assert.equal(matchesLabelSelector(expr('In', ['b']), labels), false);
    assert.equal(matchesLabelSelector(expr('NotIn', ['b']), labels), true);
    assert.equal(matchesLabelSelector(expr('NotIn', ['b'], 'absent'), labels), true);
    assert.equal(matchesLabelSelector(expr('NotIn', ['frontend']), labels), false);
    assert.equal(matchesLabelSelector(expr('Exists'), labels), true);
    assert.equal(matchesLabelSelector(expr('DoesNotExist'), labels), false);
    assert.equal(matchesLabelSelector(expr('DoesNotExist', undefined, 'absent'), labels), true);
    assert.equal(matchesLabelSelector(expr('Bogus'), labels), false);
  });
});

describe('expandWorkloads', () => {
  test('every workload kind gives its pod template once; owned objects fold into their owner', () => {
    const t = (labels: string) =>
      `template: {metadata: {labels: {app: ${labels}}}, spec: {containers: [{name: c, image: i}]}}`;
    write(
      'w.yaml',
      [
        `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: n}\nspec: {replicas: 3, ${t('d')}}`,
        `apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: d-1, namespace: n, ownerReferences: [{kind: Deployment, name: d}]}\nspec: {${t('d')}}`,
        `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s, namespace: n}\nspec: {${t('s')}}`,
        `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds, namespace: n}\nspec: {${t('ds')}}`,
        `apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: n}\nspec: {${t('j')}}`,
        `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj, namespace: n}\nspec: {jobTemplate: {spec: {${t('cj')}}}}`,
        `apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc, namespace: n}\nspec: {${t('rc')}}`,
        'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n, labels: {app: p}}\nspec: {containers: [{name: c, image: i}]}\nstatus: {podIP: 10.0.0.1}',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: d-1-abc, namespace: n, ownerReferences: [{kind: ReplicaSet, name: d-1}]}\nspec: {containers: [{name: c, image: i}]}',
      ].join('\n---\n'),
    );
    const pods = expandWorkloads(loadSnapshot([join(dir, 'w.yaml')]));
    assert.deepEqual(
      pods.map((p) => [p.ownerKind, p.name, p.labels.app, p.replicas, p.specPath]),
      [
        ['Deployment', 'd', 'd', 3, 'spec.template.spec'],
        ['StatefulSet', 's', 's', 1, 'spec.template.spec'],
        ['DaemonSet', 'ds', 'ds', 1, 'spec.template.spec'],
        ['Job', 'j', 'j', 1, 'spec.template.spec'],
        ['CronJob', 'cj', 'cj', 1, 'spec.jobTemplate.spec.template.spec'],
        ['ReplicationController', 'rc', 'rc', 1, 'spec.template.spec'],
        ['Pod', 'p', 'p', 1, 'spec'],
      ],
    );
    assert.deepEqual(pods.at(-1)?.status, { podIP: '10.0.0.1' });
  });
});

test('a repeated key is a warning naming the key and line; the object is still read with the last value', () => {
  const r = parseManifestText(
    'apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec:\n  hostNetwork: false\n  hostNetwork: true\n',
    'pods.yaml',
  );
  assert.equal(r.documents.length, 1);
  assert.equal((r.documents[0]?.object as { spec?: { hostNetwork?: boolean } } | undefined)?.spec?.hostNetwork, true);
  assert.deepEqual(
    r.problems.map((p) => [p.level, p.line, p.message]),
    [
      [
        'warning',
        6,
        'duplicate key "hostNetwork" in document 1 (a missing `---` between objects?): the last value is used',
      ],
    ],
  );
});
