/**
 * cyclonus data: the query-traffic example (../shared/conformance/cyclonus/examples/traffic.json against the
 * simple-example policies). Upstream's verdicts, in order, are FALSE, TRUE, TRUE, FALSE (analyze-query-traffic.txt).
 * cyclonus matches ipBlocks against pod IPs too: our default (--ipblock-matches-pods on).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildSnapshot, loadSnapshot } from '../../src/inputs/index.js';
import { buildNetwork, type Endpoint, type Protocol, parseIp } from '../../src/network/index.js';
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
