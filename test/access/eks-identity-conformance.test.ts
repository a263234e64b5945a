import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  type AccessScope,
  type AuthenticationMode,
  accessEntryCapabilities,
  accessEntryMatches,
  accessPolicyAllows,
  accessPolicyNames,
  accessPolicyRules,
  accessScopeIncludes,
  authenticationModeTransitionAllowed,
  canonicalizeArn,
  defaultAccessEntryUsername,
  iamUserInfo,
  mapAwsAuth,
  normalizeRule,
  type PolicyRule,
  parseAwsAuth,
  resolveAuthentication,
  validateAccessEntry,
  validateAccessEntryUsername,
} from '../../src/access/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';

// ../shared/conformance/eks-identity: 42 identity-mapping cases and the access policies (read in place).
const skip = sharedSkipReason('conformance', 'eks-identity', 'cases.json');

interface Case {
  id: string;
  kind: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
}

function load<T>(file: string): T | undefined {
  const p = sharedPath('conformance', 'eks-identity', file);
  return p ? (JSON.parse(readFileSync(p, 'utf8')) as T) : undefined;
}

function check(c: Case, awsAuthData: Record<string, unknown>): void {
  const { input, expected } = c;
  switch (c.kind) {
    case 'canonicalizeArn': {
      const p = canonicalizeArn(String(input.callerArn));
      const got: Record<string, unknown> = { type: p.type, canonicalArn: p.canonicalArn };
      if (p.sessionName !== undefined) got.sessionName = p.sessionName;
      assert.deepEqual(got, expected);
      return;
    }
    case 'awsAuthMap': {
      const r = mapAwsAuth(parseAwsAuth(awsAuthData), String(input.callerArn));
      assert.deepEqual(
        r.result === 'mapped' ? { result: r.result, username: r.username, groups: r.groups } : { result: r.result },
        expected,
      );
      return;
    }
    case 'userInfo': {
      const u = iamUserInfo(
        input.mapping as { username: string; groups: string[] },
        input.identity as { accountId: string; userId: string },
      );
      assert.deepEqual(u, expected);
      return;
    }
    case 'accessEntry': {
      if (input.usernames) {
        assert.deepEqual(
          { valid: (input.usernames as string[]).map((u) => validateAccessEntryUsername(u) === undefined) },
          expected,
        );
        return;
      }
      if (input.callerArn || input.recreated !== undefined) {
        const ok = accessEntryMatches(String(input.principalArn), String(input.callerArn ?? `${input.principalArn}`), {
          principalRecreated: input.recreated === true,
        });
        assert.equal(ok ? 'matched' : 'unauthorized', expected.result);
        return;
      }
      if ('valid' in expected) {
        const problems = validateAccessEntry({
          principalArn: input.principalArn as string | undefined,
          type: input.type as string | undefined,
          principalAccount: input.principalAccount as string | undefined,
          clusterAccount: input.clusterAccount as string | undefined,
        });
        assert.equal(problems.length === 0, expected.valid);
        return;
      }
      const type = String(input.type ?? 'STANDARD');
      const got: Record<string, unknown> = { username: defaultAccessEntryUsername(String(input.principalArn), type) };
      if ('kubernetesGroupsAllowed' in expected) Object.assign(got, accessEntryCapabilities(type));
      assert.deepEqual(got, expected);
      return;
    }
    case 'authenticationMode': {
      if (input.from) {
        assert.equal(
          authenticationModeTransitionAllowed(input.from as AuthenticationMode, input.to as AuthenticationMode),
          expected.valid,
        );
        return;
      }
      const ae = input.accessEntry as { username: string; kubernetesGroups?: string[] } | null;
      const r = resolveAuthentication(input.authenticationMode as AuthenticationMode, ae, input.awsAuth as never);
      assert.deepEqual(
        r.result === 'authenticated' ? { username: r.username, groups: r.groups } : { result: r.result },
        expected,
      );
      return;
    }
    case 'accessPolicyScope': {
      const scope = input.accessScope as AccessScope;
      if (!input.policy) {
        assert.deepEqual({ inScope: accessScopeIncludes(scope, String(input.requestNamespace)) }, expected);
        return;
      }
      const req = input.request as Record<string, string>;
      const namespace = String(req.namespace ?? input.requestNamespace ?? '');
      const d = accessPolicyAllows(`arn:aws:eks::aws:cluster-access-policy/${input.policy}`, scope, {
        resourceRequest: true,
        verb: req.verb ?? '',
        apiGroup: req.apiGroup ?? '',
        resource: req.resource ?? '',
        subresource: req.subresource ?? '',
        name: req.name ?? '',
        namespace,
      });
      assert.deepEqual({ allowed: d.allowed }, expected);
      return;
    }
    default:
      throw new Error(`unknown case kind ${c.kind}`);
  }
}

describe('EKS identity conformance (../shared/conformance/eks-identity, 42 cases)', { skip }, () => {
  const data = load<{ cases: Case[]; awsAuthFixture: { data: Record<string, unknown> } }>('cases.json');
  const cases = data?.cases ?? [];
  test('the suite has 42 cases', () => assert.equal(cases.length, 42));
  for (const c of cases) test(`${c.id} ${c.kind}`, () => check(c, data?.awsAuthFixture.data ?? {}));

  test('built-in access-policy table (written from the EKS User Guide) equals the shared transcription as rule sets', () => {
    const shared = load<{ policies: Record<string, { rules: PolicyRule[] | null }> }>('access-policies.json');
    assert.ok(shared);
    assert.deepEqual(accessPolicyNames().sort(), Object.keys(shared.policies).sort());
    // Rule order does not change an authorization decision; list order inside a rule does not either.
    const ruleSet = (rules: PolicyRule[]) =>
      rules
        .map(normalizeRule)
        .map((r) =>
          JSON.stringify(
            Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.isArray(v) ? [...v].sort() : v])),
          ),
        )
        .sort();
    for (const [name, p] of Object.entries(shared.policies)) {
      const ours = accessPolicyRules(name);
      if (p.rules === null) assert.equal(ours, null, name);
      else assert.deepEqual(ruleSet(ours ?? []), ruleSet(p.rules), name);
    }
  });
});
