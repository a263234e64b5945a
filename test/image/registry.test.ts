import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inventoryImage, parseReference } from '../../src/image/index.js';
import { type RunningRegistry, startDockerRegistry } from '../support/registry.js';
import { sharedPath, sharedSkipReason } from '../support/shared.js';
import { missingTool } from '../support/tools.js';
import { buildAlpineImages, digestOf, makeTar, run, writeOciLayout } from './support.js';

const ROOTFS = 'fixtures/rootfs/alpine-minirootfs-3.12.12-x86_64.tar.gz';
const realSkip =
  sharedSkipReason(ROOTFS) ?? missingTool('docker-registry') ?? missingTool('skopeo') ?? missingTool('umoci');

describe('registry source against a real Debian docker-registry on 127.0.0.1', { skip: realSkip }, () => {
  let images: ReturnType<typeof buildAlpineImages>;
  let registry: RunningRegistry;
  let host: string;
  before(async () => {
    images = buildAlpineImages(sharedPath(ROOTFS) as string);
    registry = await startDockerRegistry(images.dir);
    host = registry.host;
    run('skopeo', [
      'copy',
      '-q',
      '--dest-tls-verify=false',
      `oci:${images.oci}:alpine`,
      `docker://${host}/test/alpine:3.12`,
    ]);
  });
  after(async () => {
    await registry?.stop();
    images?.cleanup();
  });

  test('pulls over the distribution API (--insecure-registry loopback) with the same inventory as the layout', async () => {
    const inv = await inventoryImage(`${host}/test/alpine:3.12`, { cacheDir: false, insecureRegistries: [host] });
    assert.equal(inv.packages.length, 14);
    assert.equal(inv.distro?.versionId, '3.12.12');
    assert.match(inv.digest ?? '', /^sha256:/);
    const byDigest = await inventoryImage(`docker://${host}/test/alpine@${inv.digest}`, {
      cacheDir: false,
      insecureRegistries: [host],
    });
    assert.equal(byDigest.packages.length, 14);
  });

  test('without --insecure-registry plain HTTP is not used (TLS fails)', async () => {
    await assert.rejects(
      inventoryImage(`${host}/test/alpine:3.12`, { cacheDir: false, timeoutMs: 5000 }),
      /cannot reach/,
    );
  });

  test('an unknown tag is an HTTP error naming the repository', async () => {
    await assert.rejects(
      inventoryImage(`${host}/test/alpine:nope`, { cacheDir: false, insecureRegistries: [host] }),
      /test\/alpine: GET manifests\/nope → HTTP 404/,
    );
  });
});

/**
 * A small registry on 127.0.0.1 speaking the distribution API over an OCI layout, with the auth schemes real
 * registries use (bearer token realm, basic) and an ECR GetAuthorizationToken endpoint (AWS JSON 1.1 protocol).
 */
type FakeAuth = 'bearer' | 'bearer-anonymous' | 'basic' | 'ecr' | 'ecr-rotating';

/**
 * `ecr-rotating`: every GetAuthorizationToken issues a new password (`ecr-pass-<n>`) and only the newest works;
 * token 1 carries `firstExpiresAt` (epoch seconds) and stops working after `expireAfter` authorized requests.
 */
interface RotationOptions {
  firstExpiresAt?: number;
  expireAfter?: number;
}

function fakeRegistry(
  layoutDir: string,
  auth: FakeAuth,
  index?: Buffer,
  rotation: RotationOptions = {},
): Promise<{ host: string; server: Server; log: string[] }> {
  const log: string[] = [];
  let issued = 0;
  let served = 0;
  const blob = (digest: string) => readFileSync(join(layoutDir, 'blobs', 'sha256', digest.slice(7)));
  const layoutIndex = JSON.parse(readFileSync(join(layoutDir, 'index.json'), 'utf8'));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    log.push(`${req.method} ${url.pathname}`);
    if (url.pathname === '/token') {
      const basic = req.headers.authorization === `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
      if ((!basic && auth !== 'bearer-anonymous') || url.searchParams.get('scope') !== 'repository:test/img:pull') {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 't0k' }));
      return;
    }
    if (url.pathname === '/' && req.method === 'POST') {
      // ECR: X-Amz-Target AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken
      const ok =
        String(req.headers['x-amz-target']).endsWith('GetAuthorizationToken') &&
        /AWS4-HMAC-SHA256/.test(String(req.headers.authorization));
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
      issued++;
      const password = auth === 'ecr-rotating' ? `ecr-pass-${issued}` : 'ecr-pass';
      res.end(
        JSON.stringify({
          authorizationData: [
            {
              authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
              expiresAt: issued === 1 && rotation.firstExpiresAt !== undefined ? rotation.firstExpiresAt : 4102444800,
              proxyEndpoint: 'https://x',
            },
          ],
        }),
      );
      return;
    }
    const basicUser =
      auth === 'ecr' ? 'AWS:ecr-pass' : auth === 'ecr-rotating' ? `AWS:ecr-pass-${issued}` : 'alice:s3cret';
    const bearer = auth === 'bearer' || auth === 'bearer-anonymous';
    const expected = bearer ? 'Bearer t0k' : `Basic ${Buffer.from(basicUser).toString('base64')}`;
    const expired = auth === 'ecr-rotating' && issued === 1 && served >= (rotation.expireAfter ?? Infinity);
    if (req.headers.authorization !== expected || expired) {
      const port = (server.address() as AddressInfo).port;
      res.writeHead(401, {
        'www-authenticate': bearer
          ? `Bearer realm="http://127.0.0.1:${port}/token",service="${auth === 'bearer' ? 'fake' : 'public.ecr.aws'}",scope="repository:test/img:pull"`
          : 'Basic realm="fake"',
      });
      res.end();
      return;
    }
    served++;
    if (url.pathname === '/v2/') {
      res.writeHead(200).end('{}');
      return;
    }
    const m = /^\/v2\/test\/img\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const ref = m[2] as string;
    if (m[1] === 'manifests' && ref === 'multi' && index) {
      res
        .writeHead(200, {
          'content-type': 'application/vnd.oci.image.index.v1+json',
          'docker-content-digest': digestOf(index),
        })
        .end(index);
      return;
    }
    const digest = m[1] === 'manifests' && !ref.startsWith('sha256:') ? layoutIndex.manifests[0].digest : ref;
    if (m[1] === 'manifests' && index && digest === digestOf(index)) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }).end(index);
      return;
    }
    let body: Buffer;
    try {
      body = blob(digest);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': m[1] === 'manifests' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/octet-stream',
    });
    res.end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ host: `127.0.0.1:${(server.address() as AddressInfo).port}`, server, log }),
    ),
  );
}

describe('registry auth and multi-arch against a local HTTP server on 127.0.0.1 speaking the distribution API', () => {
  let layout: ReturnType<typeof writeOciLayout>;
  let index: Buffer;
  const servers: Server[] = [];
  before(async () => {
    const l1 = await makeTar([{ name: 'lib/apk/db/installed', content: 'P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\n' }]);
    layout = writeOciLayout([l1]);
    const idx = JSON.parse(readFileSync(join(layout.dir, 'index.json'), 'utf8'));
    const amd = idx.manifests[0];
    index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: amd.mediaType,
            digest: `sha256:${'0'.repeat(64)}`,
            size: 1,
            platform: { os: 'linux', architecture: 'arm64' },
          },
          {
            mediaType: amd.mediaType,
            digest: amd.digest,
            size: amd.size,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
  });
  after(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    layout?.cleanup();
  });
  const start = async (auth: FakeAuth, rotation?: RotationOptions) => {
    const r = await fakeRegistry(layout.dir, auth, index, rotation);
    servers.push(r.server);
    return r;
  };

  test('bearer token realm with basic credentials from a docker config.json; multi-arch index → linux/amd64', async () => {
    const { host, log } = await start('bearer');
    const config = join(layout.dir, 'docker-config.json');
    writeFileSync(
      config,
      JSON.stringify({ auths: { [host]: { auth: Buffer.from('alice:s3cret').toString('base64') } } }),
      { mode: 0o600 },
    );
    const inv = await inventoryImage(`${host}/test/img:multi`, {
      cacheDir: false,
      insecureRegistries: [host],
      dockerConfig: config,
    });
    assert.deepEqual(
      inv.packages.map((p) => `${p.name}@${p.version}`),
      ['musl@1.2.5-r0'],
    );
    assert.ok(log.includes('GET /token'));
    await assert.rejects(
      inventoryImage(`${host}/test/img:multi`, {
        cacheDir: false,
        insecureRegistries: [host],
        dockerConfig: config,
        platform: 'linux/s390x',
      }),
      /no image for platform linux\/s390x.*linux\/arm64, linux\/amd64/,
    );
  });

  test('bearer realm without credentials is an auth error', async () => {
    const { host } = await start('bearer');
    const config = join(layout.dir, 'empty-config.json');
    writeFileSync(config, '{"auths":{}}', { mode: 0o600 });
    await assert.rejects(
      inventoryImage(`${host}/test/img:latest`, { cacheDir: false, insecureRegistries: [host], dockerConfig: config }),
      /token realm http:\/\/127\.0\.0\.1:\d+ answered HTTP 401/,
    );
  });

  test('ECR Public style anonymous bearer token (the public.ecr.aws flow: token realm without credentials) on 127.0.0.1', async () => {
    const { host, log } = await start('bearer-anonymous');
    const config = join(layout.dir, 'anonymous-config.json');
    writeFileSync(config, '{"auths":{}}', { mode: 0o600 });
    const inv = await inventoryImage(`${host}/test/img:latest`, {
      cacheDir: false,
      insecureRegistries: [host],
      dockerConfig: config,
    });
    assert.equal(inv.packages.length, 1);
    assert.ok(log.includes('GET /token'));
  });

  test('basic auth with explicit credentials', async () => {
    const { host } = await start('basic');
    const inv = await inventoryImage(`${host}/test/img:latest`, {
      cacheDir: false,
      insecureRegistries: [host],
      username: 'alice',
      password: 's3cret',
    });
    assert.equal(inv.packages.length, 1);
  });

  const withAwsEnv = async (fn: () => Promise<void>) => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_REGION: 'eu-west-1',
    });
    try {
      await fn();
    } finally {
      for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  };

  test('Amazon ECR: GetAuthorizationToken (AWS JSON 1.1 on 127.0.0.1) → AWS:<password> basic auth', async () => {
    const { host, log } = await start('ecr');
    await withAwsEnv(async () => {
      const inv = await inventoryImage(`${host}/test/img:latest`, {
        cacheDir: false,
        insecureRegistries: [host],
        ecrEndpoint: `http://${host}`,
      });
      assert.equal(inv.packages.length, 1);
      assert.ok(log.includes('POST /'));
    });
  });

  test('Amazon ECR token refresh: a token rejected mid-pull (expired) is replaced by a new GetAuthorizationToken (ECR JSON protocol on 127.0.0.1)', async () => {
    // Token 1 stops working after the manifest and config were served: the layer request is challenged again.
    const { host, log } = await start('ecr-rotating', { expireAfter: 2 });
    await withAwsEnv(async () => {
      const inv = await inventoryImage(`${host}/test/img:latest`, {
        cacheDir: false,
        insecureRegistries: [host],
        ecrEndpoint: `http://${host}`,
      });
      assert.deepEqual(
        inv.packages.map((p) => p.name),
        ['musl'],
      );
    });
    assert.equal(log.filter((l) => l === 'POST /').length, 2, log.join(', '));
  });

  test('Amazon ECR token refresh: a token past its expiresAt is renewed before it is used again (ECR JSON protocol on 127.0.0.1)', async () => {
    const { host, log } = await start('ecr-rotating', { firstExpiresAt: Math.floor(Date.now() / 1000) - 10 });
    await withAwsEnv(async () => {
      const inv = await inventoryImage(`${host}/test/img:latest`, {
        cacheDir: false,
        insecureRegistries: [host],
        ecrEndpoint: `http://${host}`,
      });
      assert.equal(inv.packages.length, 1);
    });
    assert.equal(log.filter((l) => l === 'POST /').length, 2, log.join(', '));
  });

  test('docker config credHelpers / credsStore: docker-credential-<name> get (a fake helper script on PATH)', async () => {
    const { host, log } = await start('bearer');
    const bin = mkdtempSync(join(tmpdir(), 'rampart-credhelper-'));
    const seenInput = join(bin, 'stdin.txt');
    try {
      writeFileSync(
        join(bin, 'docker-credential-fake'),
        [
          '#!/bin/sh',
          `[ "$1" = get ] || exit 3`,
          `cat > ${JSON.stringify(seenInput)}`,
          `printf '{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}' "$(cat ${JSON.stringify(seenInput)})"`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      writeFileSync(
        join(bin, 'docker-credential-none'),
        '#!/bin/sh\necho "credentials not found in native keychain"\nexit 1\n',
        { mode: 0o755 },
      );
      const savedPath = process.env.PATH;
      process.env.PATH = `${bin}:${savedPath}`;
      try {
        for (const config of [{ credHelpers: { [host]: 'fake' } }, { credsStore: 'fake', auths: { [host]: {} } }]) {
          const file = join(bin, 'config.json');
          writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
          const inv = await inventoryImage(`${host}/test/img:latest`, {
            cacheDir: false,
            insecureRegistries: [host],
            dockerConfig: file,
          });
          assert.equal(inv.packages.length, 1);
          assert.equal(readFileSync(seenInput, 'utf8'), host);
        }
        assert.ok(log.includes('GET /token'));
        // "credentials not found" means anonymous: this registry then refuses the token request.
        const file = join(bin, 'none.json');
        writeFileSync(file, JSON.stringify({ credHelpers: { [host]: 'none' } }), { mode: 0o600 });
        await assert.rejects(
          inventoryImage(`${host}/test/img:latest`, {
            cacheDir: false,
            insecureRegistries: [host],
            dockerConfig: file,
          }),
          /token realm .* answered HTTP 401/,
        );
        writeFileSync(file, JSON.stringify({ credHelpers: { [host]: 'absent' } }), { mode: 0o600 });
        await assert.rejects(
          inventoryImage(`${host}/test/img:latest`, {
            cacheDir: false,
            insecureRegistries: [host],
            dockerConfig: file,
          }),
          /docker-credential-absent is not on PATH/,
        );
      } finally {
        process.env.PATH = savedPath;
      }
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('--insecure-registry is refused for non-loopback hosts', async () => {
    await assert.rejects(
      inventoryImage('registry.example.com/a/b:1', { cacheDir: false, insecureRegistries: ['registry.example.com'] }),
      /only allowed for loopback/,
    );
  });
});

test('parseReference: docker.io defaults, registry hosts with ports, digests', () => {
  assert.deepEqual(parseReference('alpine'), { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' });
  assert.deepEqual(parseReference('localhost:5000/a/b:1'), { registry: 'localhost:5000', repository: 'a/b', tag: '1' });
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseReference(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@${d}`), {
    registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    repository: 'app',
    digest: d,
  });
  assert.throws(() => parseReference('UPPER/case'), /bad repository name/);
});
