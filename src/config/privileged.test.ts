import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFile, parseShell, scanCiFile, scanComposeFile, scanMakefile, scanShellText } from './index.js';

function ids(hits: Array<{ rule: { id: string }; line: number }>): string[] {
  return hits.map((h) => `${h.rule.id.replace('privileged/', '')}@${h.line}`);
}

test('parseShell: quotes, continuations, pipes, separators and env prefixes', () => {
  const cmds = parseShell('A=1 docker run \\\n  --rm "x y" | sh; echo \'a|b\' && true\n# comment\nls');
  assert.deepEqual(
    cmds.map((c) => c.argv),
    [['docker', 'run', '--rm', 'x y'], ['sh'], ['echo', 'a|b'], ['true'], ['ls']],
  );
  assert.equal(cmds[1]?.pipedFrom?.argv[0], 'docker');
  assert.equal(cmds[4]?.lineOffset, 3);
});

test('docker/podman/nerdctl run flags: privileged, capabilities, host namespaces, sockets, devices, security-opt', () => {
  const text = [
    'docker run --privileged img',
    'podman run --cap-add=SYS_ADMIN --cap-add NET_BIND_SERVICE img',
    'nerdctl container run --pid=host --network host --ipc=host --userns=host img',
    'sudo docker run -v /var/run/docker.sock:/var/run/docker.sock img',
    'docker run --mount type=bind,source=/run/containerd/containerd.sock,target=/s img',
    'docker run --device /dev/kvm --security-opt seccomp=unconfined --security-opt apparmor=unconfined img',
    'docker run -it --rm img --privileged',
    'docker build --network=host .',
    'docker run -v /:/host img',
  ].join('\n');
  assert.deepEqual(ids(scanShellText(text, 1)), [
    'privileged-flag@1',
    'dangerous-capability@2',
    'host-namespace@3',
    'host-namespace@3',
    'host-namespace@3',
    'host-namespace@3',
    'runtime-socket-mount@4',
    'runtime-socket-mount@5',
    'host-device@6',
    'security-opt-unconfined@6',
    'security-opt-unconfined@6',
    'host-root-mount@9',
  ]);
});

test('Makefile recipes: $$ and recipe prefixes, variables naming the CLI', () => {
  const mk = 'IMG ?= x\n\ntest:\n\t@docker run --privileged $(IMG)\n\t-$(DOCKER) run --net=host $$IMG\n';
  assert.deepEqual(ids(scanMakefile(mk)), ['privileged-flag@4', 'host-namespace@5']);
});

test('GitHub Actions: run blocks (with their real lines) and container options', () => {
  const wf = `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    container:
      image: node:20
      options: --privileged --cap-add ALL
    steps:
      - run: echo hi
      - run: |
          echo one
          docker run --pid=host img
`;
  const r = scanCiFile('w.yml', wf, 'github-actions');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(ids(r.hits).sort(), ['dangerous-capability@7', 'host-namespace@12', 'privileged-flag@7'].sort());
});

test('GitLab CI: script lists and docker:dind services', () => {
  const ci = `build:
  image: docker:27
  services:
    - docker:27-dind
  script:
    - docker build -t x .
    - docker run --privileged x
`;
  assert.deepEqual(ids(scanCiFile('.gitlab-ci.yml', ci, 'gitlab-ci').hits).sort(), [
    'privileged-flag@4',
    'privileged-flag@7',
  ]);
});

test('compose: privileged, cap_add, pid/network_mode host, socket volumes (short and long), security_opt, devices', () => {
  const compose = `services:
  a:
    image: x
    privileged: true
    cap_add: [SYS_ADMIN, CHOWN]
    network_mode: host
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - type: bind
        source: /run/containerd/containerd.sock
        target: /c.sock
      - ./data:/data
    security_opt: ["seccomp:unconfined"]
    devices: ["/dev/fuse"]
  b:
    image: y
`;
  const r = scanComposeFile('compose.yaml', compose);
  assert.deepEqual(ids(r.hits), [
    'privileged-flag@4',
    'dangerous-capability@5',
    'host-namespace@6',
    'runtime-socket-mount@8',
    'runtime-socket-mount@8',
    'security-opt-unconfined@13',
    'host-device@14',
  ]);
});

test('unparsable compose YAML is an error with file:line, not an exception', () => {
  const r = scanComposeFile('compose.yaml', 'services:\n  a: [\n');
  assert.equal(r.problems.length > 0, true);
  assert.equal(r.problems[0]?.file, 'compose.yaml');
  assert.equal(typeof r.problems[0]?.line, 'number');
});

test('classifyFile: Dockerfile name patterns, compose, CI, Makefiles, scripts by extension or shebang', () => {
  const cases: Array<[string, string | undefined]> = [
    ['Dockerfile', 'dockerfile'],
    ['Containerfile', 'dockerfile'],
    ['web.Dockerfile', 'dockerfile'],
    ['Dockerfile.prod', 'dockerfile'],
    ['dockerfile-dev', 'dockerfile'],
    ['docker-compose.yml', 'compose'],
    ['compose.override.yaml', 'compose'],
    ['.gitlab-ci.yml', 'gitlab-ci'],
    ['repo/.github/workflows/ci.yaml', 'github-actions'],
    ['Makefile', 'makefile'],
    ['rules.mk', 'makefile'],
    ['build.sh', 'shell'],
    ['deploy.yaml', 'manifest'],
    ['README.md', undefined],
  ];
  for (const [path, kind] of cases) assert.equal(classifyFile(path), kind, path);
  assert.equal(
    classifyFile('bin/run', () => '#!/usr/bin/env bash\n'),
    'shell',
  );
  assert.equal(
    classifyFile('bin/run', () => '#!/usr/bin/python3\n'),
    undefined,
  );
});
