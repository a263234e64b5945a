import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatGrant, planGrant } from './grant.js';

describe('access grant', () => {
  test('aws-auth: SSO role path removed, Role + RoleBinding, proof holds', () => {
    const plan = planGrant({
      iamArn:
        'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0a1b2c3d4e5f6071',
      namespace: 'payments',
      role: 'edit',
      via: 'aws-auth',
    });
    assert.equal(plan.proof.ok, true, plan.proof.checks.join('\n'));
    assert.match(plan.identityChange, /rolearn: arn:aws:iam::111122223333:role\/AWSReservedSSO_Dev_0a1b2c3d4e5f6071\n/);
    assert.deepEqual(
      plan.manifests.map((m) => m.kind),
      ['Role', 'RoleBinding'],
    );
    assert.match(formatGrant(plan), /holds nothing in any other namespace/);
  });

  test('access entry for an IAM user; every level proves exact', () => {
    for (const role of ['view', 'edit', 'admin'] as const) {
      const plan = planGrant({
        iamArn: 'arn:aws:iam::111122223333:user/bob',
        namespace: 'dev',
        role,
        via: 'access-entry',
        clusterName: 'c',
      });
      assert.equal(plan.proof.ok, true, `${role}: ${plan.proof.checks.join('\n')}`);
      assert.match(
        plan.identityChange,
        /create-access-entry --cluster-name c --principal-arn arn:aws:iam::111122223333:user\/bob/,
      );
    }
  });

  test('bad input is a usage error', () => {
    assert.throws(() => planGrant({ iamArn: 'nope', namespace: 'dev', role: 'view', via: 'aws-auth' }), /--iam-arn/);
    assert.throws(
      () =>
        planGrant({ iamArn: 'arn:aws:iam::111122223333:user/bob', namespace: 'Bad_NS', role: 'view', via: 'aws-auth' }),
      /not a valid namespace/,
    );
  });
});
