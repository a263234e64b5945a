import assert from 'node:assert/strict';
import { buildSnapshot, parseManifestText, type Snapshot } from '../../src/inputs/index.js';

/** A snapshot from YAML text, as if read from `cluster.yaml`; the text must parse cleanly. */
export function snapshotOf(yaml: string): Snapshot {
  const r = parseManifestText(yaml, 'cluster.yaml');
  assert.deepEqual(r.problems, []);
  return buildSnapshot(r.documents, []);
}

/** A Deployment in namespace `shop` running one container of `image`; `securityContext` is a pod-level YAML line. */
export function deployment(name: string, image: string, securityContext = ''): string {
  return `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop}
spec:
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      ${securityContext}
      containers: [{name: ${name}, image: "${image}"}]
`;
}

/** Namespace `shop` with the given deployments, as one YAML stream. */
export function shopSnapshot(...deployments: string[]): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: shop}
${deployments.join('')}`;
}

/** A calico-node DaemonSet: the snapshot shows Calico enforcing policy. One YAML document starting with `---`. */
export const CALICO_NODE = `---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: calico-node, namespace: calico-system}
spec:
  template:
    spec:
      containers: [{name: calico-node, image: quay.io/calico/node:v3.28.0}]
`;
