import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mapAwsAuth, parseAwsAuth, stripRolePath } from './identity.js';
import { parseRequestWords } from './request.js';

describe('aws-auth as a real ConfigMap holds it (YAML strings)', () => {
  test('entries parse from block strings; a bad entry is dropped with a problem, the rest load', () => {
    const auth = parseAwsAuth(
      {
        mapRoles:
          '- rolearn: arn:aws:iam::111122223333:role/ok\n  username: ok:{{SessionName}}\n  groups: [g]\n- username: no-arn\n- rolearn: arn:aws:iam::111122223333:role/bad-groups\n  groups: notalist\n',
        mapUsers: "''",
        mapAccounts: '- "444455556666"\n- not-an-account\n',
      },
      { file: 'aws-auth.yaml' },
    );
    assert.deepEqual(
      auth.mapRoles.map((e) => e.arn),
      ['arn:aws:iam::111122223333:role/ok'],
    );
    assert.deepEqual(auth.mapUsers, []);
    assert.deepEqual(auth.mapAccounts, ['444455556666']);
    assert.deepEqual(
      auth.problems.map((p) => p.field),
      ['data.mapRoles[1]', 'data.mapRoles[2].groups', 'data.mapAccounts[1]'],
    );
    const r = mapAwsAuth(auth, 'arn:aws:sts::111122223333:assumed-role/ok/x@y');
    assert.deepEqual(r.result === 'mapped' && [r.username, r.groups], ['ok:x-y', ['g']]);
  });

  test('a whole key that is not YAML is dropped (as EKS does) and named', () => {
    const auth = parseAwsAuth({ mapRoles: '- rolearn: [unclosed\n' }, { file: 'aws-auth.yaml' });
    assert.equal(auth.mapRoles.length, 0);
    assert.match(auth.problems[0]?.message ?? '', /not valid YAML/);
    assert.equal(auth.problems[0]?.field, 'data.mapRoles');
  });

  test('SSO path stripping and kubectl-style request words', () => {
    assert.equal(
      stripRolePath(
        'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_A_0123456789abcdef',
      ),
      'arn:aws:iam::111122223333:role/AWSReservedSSO_A_0123456789abcdef',
    );
    assert.deepEqual(parseRequestWords({ verb: 'get', target: 'deploy/web', namespace: 'shop' }), {
      resourceRequest: true,
      verb: 'get',
      apiGroup: 'apps',
      resource: 'deployments',
      subresource: '',
      name: 'web',
      namespace: 'shop',
    });
    const nodes = parseRequestWords({ verb: 'get', target: 'nodes', namespace: 'shop' });
    assert.equal(nodes.resourceRequest && nodes.namespace, '');
    const crd = parseRequestWords({ verb: 'list', target: 'servicemonitors.monitoring.coreos.com' });
    assert.equal(
      crd.resourceRequest && `${crd.resource}|${crd.apiGroup}|${crd.namespace}`,
      'servicemonitors|monitoring.coreos.com|default',
    );
    assert.deepEqual(parseRequestWords({ verb: 'get', target: '/healthz' }), {
      resourceRequest: false,
      verb: 'get',
      path: '/healthz',
    });
  });
});
