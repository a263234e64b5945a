/**
 * cyclonus data (../shared/conformance/cyclonus, simple-example policies): the query-traffic verdicts
 * (traffic.json; upstream FALSE, TRUE, TRUE, FALSE), every cell of the probe tables (probe.json: Ingress, Egress and
 * Combined per probed port), the policies query-target names per target and direction (targets.json), the policies
 * explain lists per direction, and lint's DNS finding. cyclonus matches ipBlocks against pod IPs too (our default,
 * --ipblock-matches-pods on) and does not exempt a pod's traffic to itself (the probe compares per direction).
 * Not reproduced: cyclonus's table layout and wording, and its CheckTargetAll{Ingress,Egress}Blocked lint entries
 * (Rampart has no such rule; a deny-all policy is not a mistake).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildSnapshot, loadSnapshot, matchesLabelSelector } from '../../src/inputs/index.js';
import {
  buildNetwork,
  type Endpoint,
  lintNetwork,
  type Protocol,
  parseIp,
  type Segment,
} from '../../src/network/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';

interface Side {
  IP?: string;
  Internal?: { PodLabels: Record<string, string>; NamespaceLabels: Record<string, string>; Namespace: string };
}
interface Traffic {
  Source: Side;
  Destination: Side;
  Protocol: string;
  ResolvedPort: number;
  ResolvedPortName?: string;
}

test('cyclonus query-traffic verdicts (traffic.json × simple-example)', {
  skip: sharedSkipReason('conformance', 'cyclonus'),
}, () => {
  const dir = sharedPath('conformance', 'cyclonus') as string;
  const expected = [
    ...readFileSync(join(dir, 'examples/cyclonus-output/analyze-query-traffic.txt'), 'utf8').matchAll(
      /IS ALLOWED\? \|\s*(TRUE|FALSE)/g,
    ),
  ].map((m) => m[1] === 'TRUE');
  assert.deepEqual(expected, [false, true, true, false]);
  const policies = loadSnapshot([join(dir, 'networkpolicies/simple-example')]);
  const traffic = JSON.parse(readFileSync(join(dir, 'examples/traffic.json'), 'utf8')) as Traffic[];
  const verdicts = traffic.map((t, k) => {
    // one pod per internal side, with the item's labels, namespace labels, IP and the named port it resolved
    const objects: Array<Record<string, unknown>> = policies.objects.filter((o) => !o.synthesized).map((o) => o.raw);
    const namespaces = new Map<string, Record<string, string>>();
    const pods: Array<{ side: 'src' | 'dst'; name: string; ns: string }> = [];
    for (const [side, s] of [
      ['src', t.Source],
      ['dst', t.Destination],
    ] as const) {
      if (!s.Internal) continue;
      namespaces.set(s.Internal.Namespace, {
        ...(namespaces.get(s.Internal.Namespace) ?? {}),
        ...s.Internal.NamespaceLabels,
      });
      const name = `${side}-${k}`;
      pods.push({ side, name, ns: s.Internal.Namespace });
      objects.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: s.Internal.Namespace, labels: s.Internal.PodLabels },
        spec: {
          containers: [
            {
              name: 'c',
              ports: t.ResolvedPortName
                ? [{ name: t.ResolvedPortName, containerPort: t.ResolvedPort, protocol: t.Protocol }]
                : [],
            },
          ],
        },
        status: s.IP ? { podIP: s.IP } : {},
      });
    }
    for (const [name, labels] of namespaces)
      objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    const snap = buildSnapshot(
      objects.map((object, i) => ({ object, source: { file: 'traffic.json', documentIndex: i } })),
    );
    const net = buildNetwork(snap);
    assert.deepEqual(net.problems, []);
    const endpoint = (side: 'src' | 'dst', s: Side): Endpoint => {
      const p = pods.find((x) => x.side === side);
      const pod = p && net.model.pods.find((x) => x.name === p.name);
      if (pod) return { type: 'pod', pod };
      const ip = parseIp(s.IP as string);
      assert.ok(ip);
      return { type: 'ip', range: { family: ip.family, lo: ip.value, hi: ip.value } };
    };
    const v = net.model.evaluatePair(endpoint('src', t.Source), endpoint('dst', t.Destination));
    return v.allowed.contains(t.Protocol as Protocol, t.ResolvedPort);
  });
  assert.deepEqual(verdicts, expected);
});

interface ProbeFile {
  Probes: Array<{ Protocol: string; Port: number }>;
  Resources: {
    Namespaces: Record<string, Record<string, string>>;
    Pods: Array<{
      Namespace: string;
      Name: string;
      Labels: Record<string, string>;
      IP: string;
      Containers: Array<{ Name: string; Port: number; PortName: string; Protocol: string }>;
    }>;
  };
}

const cyclonusSkip = sharedSkipReason('conformance', 'cyclonus');
const cyclonusDir = () => sharedPath('conformance', 'cyclonus') as string;
const output = (name: string) => readFileSync(join(cyclonusDir(), 'examples/cyclonus-output', name), 'utf8');

/** The simple-example policies plus probe.json's namespaces and pods (labels, IPs, container ports). */
function probeNetwork() {
  const dir = cyclonusDir();
  const probe = JSON.parse(readFileSync(join(dir, 'examples/probe.json'), 'utf8')) as ProbeFile;
  const policies = loadSnapshot([join(dir, 'networkpolicies/simple-example')]);
  const objects: Array<Record<string, unknown>> = policies.objects.filter((o) => !o.synthesized).map((o) => o.raw);
  for (const [name, labels] of Object.entries(probe.Resources.Namespaces))
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  for (const p of probe.Resources.Pods)
    objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: p.Name, namespace: p.Namespace, labels: p.Labels },
      spec: {
        containers: p.Containers.map((c) => ({
          name: c.Name,
          ports: [{ name: c.PortName, containerPort: c.Port, protocol: c.Protocol.toUpperCase() }],
        })),
      },
      status: { podIP: p.IP },
    });
  const snap = buildSnapshot(
    objects.map((object, i) => ({ object, source: { file: 'probe.json', documentIndex: i } })),
  );
  return { probe, snap, net: buildNetwork(snap) };
}

/** cyclonus's ASCII tables: rows of `| cell | cell |`, each table after a `Title:` line, in file order. */
function tablesOf(text: string): Array<{ title: string; rows: string[][] }> {
  const out: Array<{ title: string; rows: string[][] }> = [];
  for (const line of text.split('\n')) {
    const title = /^([A-Za-z][A-Za-z ]*):$/.exec(line.trim());
    if (title) out.push({ title: title[1] as string, rows: [] });
    else if (line.startsWith('|') && out.length > 0)
      (out[out.length - 1] as { rows: string[][] }).rows.push(
        line
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
  }
  return out;
}

test('cyclonus probe tables (probe.json × simple-example): every Ingress/Egress/Combined cell', {
  skip: cyclonusSkip,
}, () => {
  const { probe, net } = probeNetwork();
  assert.deepEqual(net.problems, []);
  // one Ingress/Egress/Combined triple per probe, then an empty trailing triple
  const tables = tablesOf(output('analyze-probe.txt')).filter((t) => t.rows.length > 1);
  assert.equal(tables.length, probe.Probes.length * 3);
  const podOf = (ref: string) => {
    const [ns, name] = ref.toLowerCase().split('/');
    const pod = net.model.pods.find((p) => p.namespace === ns && p.name === name);
    assert.ok(pod, ref);
    return pod;
  };
  let compared = 0;
  let notServed = 0;
  tables.forEach((table, i) => {
    const { Protocol, Port } = probe.Probes[Math.floor(i / 3)] as ProbeFile['Probes'][number];
    const [header, ...rows] = table.rows as [string[], ...string[][]];
    for (const row of rows) {
      const src = podOf(row[0] as string);
      row.slice(1).forEach((cell, j) => {
        if (cell === 'N' || cell === '?') {
          notServed++; // cyclonus: the destination serves no such port (N), so no verdict (? in its egress table)
          return;
        }
        const dst = podOf(header[j + 1] as string);
        const allows = (segs: Segment[]) => segs.some((s) => s.allowed && s.conns.contains(Protocol as Protocol, Port));
        // cyclonus evaluates a pod's traffic to itself like any other (no self exemption), so per direction
        const ingress = allows(net.model.evaluateDirection(dst, { type: 'pod', pod: src }, 'ingress'));
        const egress = allows(net.model.evaluateDirection(src, { type: 'pod', pod: dst }, 'egress'));
        const verdict = table.title === 'Ingress' ? ingress : table.title === 'Egress' ? egress : ingress && egress;
        assert.equal(verdict ? '.' : 'X', cell, `${table.title} TCP/${Port} ${row[0]} -> ${header[j + 1]}`);
        compared++;
      });
    }
  });
  assert.equal(compared, 2 * 3 * 81);
  assert.equal(notServed, 3 * 81);
});

/** `| TYPE | TARGET | SOURCE RULES | ...` rows → policy names per direction. */
function sourceRulesByType(rows: string[][]): Record<'Ingress' | 'Egress', string[]> {
  const out: Record<'Ingress' | 'Egress', string[]> = { Ingress: [], Egress: [] };
  let type: 'Ingress' | 'Egress' | undefined;
  for (const cells of rows) {
    if (cells[0] === 'TYPE') continue;
    if (cells[0] === 'Ingress' || cells[0] === 'Egress') type = cells[0];
    if (type && cells[2]) out[type].push(cells[2]);
  }
  return { Ingress: out.Ingress.sort(), Egress: out.Egress.sort() };
}

/** The policies that select a pod (namespace + labels) per direction, as `ns/name`. */
function selectingPolicies(net: ReturnType<typeof buildNetwork>, ns: string, labels: Record<string, string> | 'any') {
  const pick = (dir: 'ingress' | 'egress') =>
    net.policies.networkPolicies
      .filter(
        (np) =>
          np.namespace === ns && np.types[dir] && (labels === 'any' || matchesLabelSelector(np.podSelector, labels)),
      )
      .map((np) => `${np.namespace}/${np.name}`)
      .sort();
  return { Ingress: pick('ingress'), Egress: pick('egress') };
}

test('cyclonus query-target (targets.json): the policies that select each target, per direction', {
  skip: cyclonusSkip,
}, () => {
  const { net } = probeNetwork();
  const targets = JSON.parse(readFileSync(join(cyclonusDir(), 'examples/targets.json'), 'utf8')) as Array<{
    Namespace: string;
    Labels: Record<string, string>;
  }>;
  const chunks = output('analyze-query-target.txt')
    .split(/^pod in ns /m)
    .slice(1);
  assert.equal(chunks.length, targets.length);
  chunks.forEach((chunk, i) => {
    const t = targets[i] as (typeof targets)[number];
    const m = /^(\S+) with labels map\[(.*)\]:/.exec(chunk);
    assert.ok(m);
    const labels = Object.fromEntries((m[2] as string).split(' ').map((kv) => kv.split(':') as [string, string]));
    assert.deepEqual([m[1], labels], [t.Namespace, t.Labels]);
    const combined = tablesOf(chunk).find((x) => x.title === 'Combined rules');
    const want = combined ? sourceRulesByType(combined.rows) : { Ingress: [], Egress: [] };
    assert.deepEqual(selectingPolicies(net, t.Namespace, t.Labels), want, `target ${t.Namespace} ${m[2]}`);
  });
});

test('cyclonus explain (simple-example): which policies have ingress and which egress rules', {
  skip: cyclonusSkip,
}, () => {
  const { net } = probeNetwork();
  const explained = tablesOf(output('analyze-explain.txt')).find((x) => x.title === 'explained policies');
  assert.ok(explained);
  // each policy once per direction (cyclonus groups targets; a policy may appear under one target only)
  const want = sourceRulesByType(explained.rows);
  assert.deepEqual(selectingPolicies(net, 'y', 'any'), {
    Ingress: [...new Set(want.Ingress)],
    Egress: [...new Set(want.Egress)],
  });
});

test('cyclonus lint (simple-example): DNS blocked by y/deny-all-egress is found (NETPOL-009)', {
  skip: cyclonusSkip,
}, () => {
  const lint = output('analyze-lint.txt');
  assert.match(lint, /CheckDNSBlockedOnTCP/);
  assert.match(lint, /CheckDNSBlockedOnUDP/);
  const { net } = probeNetwork();
  const dns = lintNetwork(net).filter((f) => f.ruleId === 'NETPOL-009' && f.status === 'fail');
  assert.ok(dns.length > 0);
  assert.ok(
    dns.some((f) => JSON.stringify(f).includes('y/c')),
    'y/c is egress-isolated without DNS',
  );
});
