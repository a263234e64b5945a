import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOCKERFILE_RULES, parseDockerfile } from './index.js';

/** Rule id → lines it fires on, for one Dockerfile text. */
function run(text: string): Map<string, number[]> {
  const model = parseDockerfile('Dockerfile', text);
  const out = new Map<string, number[]>();
  for (const r of DOCKERFILE_RULES) {
    for (const h of r.check(model)) {
      if (h.status === 'unknown') continue;
      const id = r.meta.id.replace('dockerfile/', '');
      out.set(id, [...(out.get(id) ?? []), h.line]);
    }
  }
  return out;
}

function fires(text: string, rule: string): number[] {
  return run(text).get(rule) ?? [];
}

const GOOD = `FROM golang:1.22@sha256:${'a'.repeat(64)} AS build
WORKDIR /src
COPY . .
RUN go build -o /out/app ./cmd/app

FROM gcr.io/distroless/static:nonroot@sha256:${'b'.repeat(64)}
COPY --from=build /out/app /app
USER 65532:65532
HEALTHCHECK CMD ["/app", "health"]
ENTRYPOINT ["/app"]
`;

test('a clean multi-stage Dockerfile with a numeric non-root USER has no findings', () => {
  assert.deepEqual([...run(GOOD).keys()], []);
});

test('user-root: no USER in the final stage, USER root, USER 0, and switching back to root', () => {
  assert.deepEqual(fires('FROM alpine:3.20\nRUN true\n', 'user-root'), [1]);
  assert.deepEqual(fires('FROM alpine:3.20\nUSER 1000\nUSER root\n', 'user-root'), [3]);
  assert.deepEqual(fires('FROM alpine:3.20\nUSER 0:0\n', 'user-root'), [2]);
  // only the final stage matters: a root build stage is fine
  assert.deepEqual(fires('FROM alpine:3.20 AS b\nUSER root\nFROM alpine:3.20\nUSER 10001\n', 'user-root'), []);
  // ARG/ENV aware
  assert.deepEqual(fires(`FROM alpine:3.20\nARG UID=0\nUSER $${'{'}UID}\n`, 'user-root'), [3]);
  assert.deepEqual(fires('FROM alpine:3.20\nENV APP_UID=10001\nUSER $APP_UID\n', 'user-root'), []);
});

test('user-root: a USER from a build argument without a default is unknown, not pass', () => {
  const model = parseDockerfile('Dockerfile', 'FROM alpine:3.20\nARG UID\nUSER $UID\n');
  const rule = DOCKERFILE_RULES.find((r) => r.meta.id === 'dockerfile/user-root');
  const hits = rule?.check(model) ?? [];
  assert.equal(hits.length, 1);
  assert.equal(hits[0]?.status, 'unknown');
});

test('user-not-numeric: a named user is flagged, a numeric UID is not', () => {
  assert.deepEqual(fires('FROM alpine:3.20\nUSER app\n', 'user-not-numeric'), [2]);
  assert.deepEqual(fires('FROM alpine:3.20\nUSER 10001:10001\n', 'user-not-numeric'), []);
});

test('run-security-insecure', () => {
  assert.deepEqual(
    fires('FROM a:1\nRUN --security=insecure id\nRUN --security=sandbox id\n', 'run-security-insecure'),
    [2],
  );
});

test('from-unpinned and from-no-digest, with ARG expansion and stage references', () => {
  assert.deepEqual(fires('FROM ubuntu\n', 'from-unpinned'), [1]);
  assert.deepEqual(fires('FROM ubuntu:latest\n', 'from-unpinned'), [1]);
  assert.deepEqual(fires('ARG BASE=ubuntu:latest\nFROM $BASE\n', 'from-unpinned'), [2]);
  assert.deepEqual(fires('FROM localhost:5000/img\n', 'from-unpinned'), [1]);
  assert.deepEqual(fires('FROM a:1 AS build\nFROM build\nFROM scratch\n', 'from-unpinned'), []);
  assert.deepEqual(fires('FROM ubuntu:22.04\n', 'from-no-digest'), [1]);
  assert.deepEqual(fires(`FROM ubuntu:22.04@sha256:${'c'.repeat(64)}\n`, 'from-no-digest'), []);
});

test('add-instead-of-copy: local files and unchecked URLs, not archives or checksummed URLs', () => {
  assert.deepEqual(fires('FROM a:1\nADD app.py /app/\n', 'add-instead-of-copy'), [2]);
  assert.deepEqual(fires('FROM a:1\nADD https://x.example/t.tgz /opt/\n', 'add-instead-of-copy'), [2]);
  assert.deepEqual(fires('FROM a:1\nADD rootfs.tar.gz /\n', 'add-instead-of-copy'), []);
  assert.deepEqual(fires('FROM a:1\nADD --checksum=sha256:abc https://x.example/t /opt/\n', 'add-instead-of-copy'), []);
});

test('secret-in-build: credential names with literal values and known key shapes; placeholders are not secrets', () => {
  assert.deepEqual(fires('FROM a:1\nENV DB_PASSWORD=hunter2hunter2\n', 'secret-in-build'), [2]);
  assert.deepEqual(fires('FROM a:1\nLABEL k="AKIAIOSFODNN7EXAMPLE"\n', 'secret-in-build'), [2]);
  assert.deepEqual(fires('FROM a:1\nARG API_KEY=sk_live_0123456789abcdefghijklmn\n', 'secret-in-build'), [2]);
  assert.deepEqual(
    fires(`FROM a:1\nENV DB_PASSWORD_FILE=/run/secrets/db PASSWORD=$${'{'}PASSWORD}\n`, 'secret-in-build'),
    [],
  );
  assert.deepEqual(fires('FROM a:1\nARG NPM_TOKEN\n', 'secret-build-arg'), [2]);
});

test('credential-file-copied', () => {
  assert.deepEqual(
    fires('FROM a:1\nCOPY .aws/credentials /root/.aws/\nCOPY id_rsa /k\nCOPY app.py /a\n', 'credential-file-copied'),
    [2, 3],
  );
  assert.deepEqual(fires('FROM a:1\nCOPY --from=build /etc/ssl/x.pem /x.pem\n', 'credential-file-copied'), []);
});

test('package-manager-hygiene: update alone, missing -y / --no-install-recommends / cleanup, apk --no-cache, yum clean', () => {
  assert.deepEqual(fires('FROM a:1\nRUN apt-get update\n', 'package-manager-hygiene'), [2]);
  assert.deepEqual(
    fires(
      'FROM a:1\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n',
      'package-manager-hygiene',
    ),
    [],
  );
  assert.equal(fires('FROM a:1\nRUN apt-get install curl\n', 'package-manager-hygiene').length, 3);
  assert.deepEqual(fires('FROM a:1\nRUN apk add curl\n', 'package-manager-hygiene'), [2]);
  assert.deepEqual(fires('FROM a:1\nRUN apk add --no-cache curl\n', 'package-manager-hygiene'), []);
  assert.deepEqual(fires('FROM a:1\nRUN yum install -y git\n', 'package-manager-hygiene'), [2]);
  assert.deepEqual(fires('FROM a:1\nRUN yum install -y git && yum clean all\n', 'package-manager-hygiene'), []);
});

test('curl-pipe-shell, sudo, chmod-world-writable, run-cd, curl-and-wget', () => {
  assert.deepEqual(fires('FROM a:1\nRUN curl -fsSL https://x.example/i.sh | sh\n', 'curl-pipe-shell'), [2]);
  assert.deepEqual(fires('FROM a:1\nRUN wget -qO- https://x.example/i | sudo bash -s\n', 'curl-pipe-shell'), [2]);
  assert.deepEqual(
    fires('FROM a:1\nRUN curl -o /tmp/i.sh https://x.example/i.sh && sh /tmp/i.sh\n', 'curl-pipe-shell'),
    [],
  );
  assert.deepEqual(fires('FROM a:1\nRUN sudo make install\n', 'sudo'), [2]);
  assert.deepEqual(
    fires('FROM a:1\nRUN chmod -R 777 /data\nRUN chmod 755 /x\nRUN chmod a+rwx /y\n', 'chmod-world-writable'),
    [2, 4],
  );
  assert.deepEqual(fires('FROM a:1\nRUN cd /tmp\nRUN cd /x && make\n', 'run-cd'), [2]);
  assert.deepEqual(fires('FROM a:1\nRUN wget x\nRUN curl y\n', 'curl-and-wget'), [2]);
});

test('workdir, expose, healthcheck, duplicates, maintainer, stage names, COPY destinations', () => {
  assert.deepEqual(fires('FROM a:1\nWORKDIR app\nWORKDIR /app\n', 'workdir-relative'), [2]);
  assert.deepEqual(fires('FROM a:1\nEXPOSE 8080 22/tcp\n', 'expose-ssh'), [2]);
  assert.deepEqual(fires('FROM a:1\nEXPOSE 70000\n', 'expose-invalid-port'), [2]);
  assert.deepEqual(fires('FROM a:1\n', 'healthcheck-missing'), [1]);
  assert.deepEqual(fires('FROM a:1\nCMD a\nCMD b\n', 'multiple-cmd'), [3]);
  assert.deepEqual(fires('FROM a:1\nENTRYPOINT a\nENTRYPOINT b\n', 'multiple-entrypoint'), [3]);
  assert.deepEqual(fires('FROM a:1\nHEALTHCHECK CMD a\nHEALTHCHECK CMD b\n', 'multiple-healthcheck'), [3]);
  assert.deepEqual(fires('FROM a:1\nMAINTAINER me\n', 'maintainer-deprecated'), [2]);
  assert.deepEqual(fires('FROM a:1 AS x\nFROM b:1 AS x\n', 'duplicate-stage-name'), [1]);
  assert.deepEqual(fires('FROM a:1 AS x\nCOPY --from=x /a /b\n', 'copy-from-own-stage'), [2]);
  assert.deepEqual(fires('FROM a:1\nCOPY a b /dest\nCOPY a b /dest/\n', 'copy-dest-not-dir'), [2]);
});
