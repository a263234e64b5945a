import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CALICO_NODE, snapshotOf } from '../../test/boundaries/snapshot.js';
import { detectPolicyEnforcement, flagValue, imageVersion, networkCniOf } from './cni.js';

function awsNode(opts: { cniTag?: string; agentArgs?: string[]; agent?: boolean; env?: string } = {}): string {
  const agent =
    opts.agent === false
      ? ''
      : `
        - name: aws-eks-nodeagent
          image: 602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon/aws-network-policy-agent:v1.1.2-eksbuild.1
          args: ${JSON.stringify(opts.agentArgs ?? ['--enable-network-policy=true'])}`;
  return `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: aws-node, namespace: kube-system}
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: aws-node
          image: 602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:${opts.cniTag ?? 'v1.18.3-eksbuild.1'}
          env: [${opts.env ? `{name: ENABLE_NETWORK_POLICY, value: "${opts.env}"}` : ''}]${agent}
`;
}

const COREDNS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  template:
    spec:
      containers: [{name: coredns, image: coredns:1.11}]
`;

test('VPC CNI with the network policy agent enabled enforces policy', () => {
  const d = detectPolicyEnforcement(snapshotOf(awsNode()));
  assert.equal(d.state, 'enforced');
  assert.equal(d.enforcers[0]?.name, 'vpc-cni');
  assert.match(d.enforcers[0]?.detail ?? '', /--enable-network-policy=true .*1\.18\.3/);
});

test('VPC CNI agent with the flag off, or absent, or no agent container: not enforced', () => {
  for (const args of [['--enable-network-policy=false'], [], ['--enable-network-policy', 'false']]) {
    const d = detectPolicyEnforcement(snapshotOf(awsNode({ agentArgs: args })));
    assert.equal(d.state, 'not-enforced', JSON.stringify(args));
  }
  const none = detectPolicyEnforcement(snapshotOf(awsNode({ agent: false })));
  assert.equal(none.state, 'not-enforced');
  assert.match(none.summary, /without the network policy agent/);
});

test('VPC CNI older than 1.14 cannot enforce, whatever the flags say', () => {
  const d = detectPolicyEnforcement(snapshotOf(awsNode({ cniTag: 'v1.13.4-eksbuild.1' })));
  assert.equal(d.state, 'not-enforced');
  assert.match(d.summary, /1\.13\.4; network policy needs 1\.14\.0/);
});

test('ENABLE_NETWORK_POLICY=true on aws-node counts as enabled', () => {
  const d = detectPolicyEnforcement(snapshotOf(awsNode({ agent: false, env: 'true' })));
  assert.equal(d.state, 'enforced');
});

test('amazon-vpc-cni ConfigMap: "false" turns the controller off; "true" alone is EKS Auto Mode', () => {
  const cm = (v: string) => `---
apiVersion: v1
kind: ConfigMap
metadata: {name: amazon-vpc-cni, namespace: kube-system}
data: {enable-network-policy-controller: "${v}"}
`;
  assert.equal(detectPolicyEnforcement(snapshotOf(awsNode() + cm('false'))).state, 'not-enforced');
  const auto = detectPolicyEnforcement(snapshotOf(COREDNS + cm('true')));
  assert.equal(auto.state, 'enforced');
  assert.match(auto.summary, /vpc-cni/);
});

test('calico-node and the Cilium agent are enforcing engines; Cilium with enable-policy never is not', () => {
  assert.equal(detectPolicyEnforcement(snapshotOf(CALICO_NODE)).enforcers[0]?.name, 'calico');
  assert.equal(detectPolicyEnforcement(snapshotOf(CALICO_NODE)).state, 'enforced');
  const cilium = (mode?: string) => `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: cilium, namespace: kube-system}
spec:
  template:
    spec:
      containers: [{name: cilium-agent, image: quay.io/cilium/cilium:v1.16.1}]
${
  mode
    ? `---
apiVersion: v1
kind: ConfigMap
metadata: {name: cilium-config, namespace: kube-system}
data: {enable-policy: ${mode}}
`
    : ''
}`;
  assert.equal(detectPolicyEnforcement(snapshotOf(cilium())).state, 'enforced');
  assert.equal(detectPolicyEnforcement(snapshotOf(cilium('default'))).state, 'enforced');
  assert.equal(detectPolicyEnforcement(snapshotOf(cilium('never'))).state, 'not-enforced');
});

test('kube-system workloads but no policy engine: not enforced; no kube-system workloads at all: unknown', () => {
  assert.equal(detectPolicyEnforcement(snapshotOf(COREDNS)).state, 'not-enforced');
  const app = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: web, image: web:1}]
`;
  const d = detectPolicyEnforcement(snapshotOf(app));
  assert.equal(d.state, 'unknown');
  assert.match(d.summary, /no kube-system workloads/);
});

test('flag and image version parsing', () => {
  assert.equal(flagValue({ args: ['--a=1', '--enable-network-policy=true'] }, 'enable-network-policy'), 'true');
  assert.equal(flagValue({ args: ['--enable-network-policy', 'false'] }, 'enable-network-policy'), 'false');
  assert.equal(flagValue({ command: ['agent', '--enable-network-policy'] }, 'enable-network-policy'), 'true');
  assert.equal(flagValue({ args: ['--other'] }, 'enable-network-policy'), undefined);
  assert.equal(imageVersion('x.dkr.ecr.r.amazonaws.com/amazon-k8s-cni:v1.18.3-eksbuild.1'), '1.18.3');
  assert.equal(imageVersion('registry:5000/amazon-k8s-cni'), undefined);
  assert.equal(imageVersion('amazon-k8s-cni:v1.19.0@sha256:abc'), '1.19.0');
});

test('networkCniOf: Calico or Cilium win over the VPC CNI; nothing enforcing keeps the generic profile', () => {
  assert.equal(networkCniOf(detectPolicyEnforcement(snapshotOf(awsNode()))), 'vpc-cni');
  assert.equal(networkCniOf(detectPolicyEnforcement(snapshotOf(awsNode() + CALICO_NODE))), 'calico');
  assert.equal(networkCniOf(detectPolicyEnforcement(snapshotOf(awsNode({ agent: false })))), 'generic');
  assert.equal(networkCniOf(detectPolicyEnforcement(snapshotOf(COREDNS))), 'generic');
});
