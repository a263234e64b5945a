import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  covers,
  escalationAllowed,
  impersonate,
  nonResourceURLCovers,
  normalizeRule,
  type PolicyRule,
  RbacIndex,
  type RbacPolicy,
  type RequestAttributes,
  ruleAllows,
  subjectAppliesTo,
} from '../../src/access/index.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';

// ../shared/conformance/rbac/cases.json: 210 cases transcribed from kubernetes/kubernetes (read in place).
const skip = sharedSkipReason('conformance', 'rbac', 'cases.json');

interface Case {
  id: string;
  kind: string;
  expected: string;
  [key: string]: unknown;
}

function load(): { fixtures: Record<string, Partial<RbacPolicy>>; cases: Case[] } {
  const path = sharedPath('conformance', 'rbac', 'cases.json');
  if (!path) return { fixtures: {}, cases: [] };
  return JSON.parse(readFileSync(path, 'utf8'));
}

function policyOf(f: Partial<RbacPolicy> | undefined): RbacPolicy {
  return {
    roles: f?.roles ?? [],
    clusterRoles: f?.clusterRoles ?? [],
    roleBindings: f?.roleBindings ?? [],
    clusterRoleBindings: f?.clusterRoleBindings ?? [],
  };
}

function toRequest(r: Record<string, unknown>): RequestAttributes {
  if (r.resourceRequest === false) return { resourceRequest: false, verb: String(r.verb), path: String(r.path) };
  return {
    resourceRequest: true,
    verb: String(r.verb),
    apiGroup: String(r.apiGroup ?? ''),
    resource: String(r.resource ?? ''),
    subresource: String(r.subresource ?? ''),
    name: String(r.name ?? ''),
    namespace: String(r.namespace ?? ''),
  };
}

const canonical = (rules: PolicyRule[]) => rules.map((r) => JSON.stringify(normalizeRule(r))).sort();

/** Runs one case; returns the actual outcome in the vocabulary of `expected`. */
function evaluate(c: Case, fixtures: Record<string, Partial<RbacPolicy>>): string {
  const index = () => new RbacIndex(policyOf(fixtures[String(c.fixture)]));
  switch (c.kind) {
    case 'ruleMatch':
      return ruleAllows(toRequest(c.request as Record<string, unknown>), c.rule as PolicyRule) ? 'allow' : 'deny';
    case 'authorize': {
      const r = c.request as Record<string, unknown>;
      const user = { name: String(r.user), groups: (r.groups as string[]) ?? [] };
      const idx = index();
      const d =
        c.layer === 'apiserver' ? idx.authorizeApiServer(user, toRequest(r)) : idx.authorize(user, toRequest(r));
      return d.allowed ? 'allow' : 'deny';
    }
    case 'appliesTo': {
      const u = c.user as { name: string; groups: string[] };
      const subjects = c.subjects as Parameters<typeof subjectAppliesTo>[1][];
      return subjects.some((s) => subjectAppliesTo(u, s, String(c.bindingNamespace))) ? 'match' : 'nomatch';
    }
    case 'covers': {
      const res = covers(c.ownerRules as PolicyRule[], c.servantRules as PolicyRule[]);
      assert.deepEqual(canonical(res.uncovered), canonical(c.expectedUncovered as PolicyRule[]), `${c.id} uncovered`);
      return res.covered ? 'covered' : 'notCovered';
    }
    case 'nonResourceURLCovers':
      return nonResourceURLCovers(String(c.owner), String(c.requested)) ? 'covered' : 'notCovered';
    case 'escalation':
      return escalationAllowed(index(), c.operation as Parameters<typeof escalationAllowed>[1]).allowed
        ? 'allow'
        : 'deny';
    case 'impersonation': {
      const requestor = c.requestor as { user: string; groups: string[] };
      const res = impersonate(index(), { name: requestor.user, groups: requestor.groups }, c.headers as object);
      const last = res.checks.at(-1);
      const want = c.checkedAttributes as Record<string, string>;
      assert.ok(last, `${c.id}: no check made`);
      assert.deepEqual(
        {
          verb: last.verb,
          apiGroup: last.apiGroup,
          resource: last.resource,
          name: last.name,
          namespace: last.namespace,
        },
        want,
        `${c.id} checked attributes`,
      );
      if (c.resultingUser) assert.deepEqual(res.resultingUser, c.resultingUser, `${c.id} resulting user`);
      return res.allowed ? 'allow' : 'deny';
    }
    default:
      throw new Error(`unknown case kind ${c.kind}`);
  }
}

describe('RBAC conformance (../shared/conformance/rbac, 210 cases)', { skip }, () => {
  const { fixtures, cases } = load();
  test('the suite has 210 cases', () => assert.equal(cases.length, 210));
  const kinds = [...new Set(cases.map((c) => c.kind))];
  for (const kind of kinds) {
    test(`${kind} cases`, () => {
      const failures: string[] = [];
      for (const c of cases.filter((x) => x.kind === kind)) {
        try {
          const got = evaluate(c, fixtures);
          if (got !== c.expected) failures.push(`${c.id}: expected ${c.expected}, got ${got}`);
        } catch (err) {
          failures.push(`${c.id}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
      assert.deepEqual(failures, []);
    });
  }
});
