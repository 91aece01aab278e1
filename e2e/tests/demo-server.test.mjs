// The demo's one-origin server (examples/web/serve.mjs) in front of a real
// stack: WebSocket upgrades reach the gateway, only the routed prefixes are
// proxied (not the services' /metrics or /healthz), static paths cannot
// escape their folders, an unreachable upstream is a clean 502 `unavailable`,
// and the SDK's jittered backoff stays within its bounds.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Stack } from '../lib/stack.mjs';
import { startFront, sdkClient, waitForState, sdkUser } from '../lib/sdk.mjs';
import { startDemoServer } from '../../examples/web/serve.mjs';
import { backoffDelay } from '../../clients/js/dist/backoff.js';

let stack, auth, gw, front;

before(async () => {
  stack = new Stack({ name: 'demo_server' });
  auth = await stack.startAuth();
  gw = await stack.startGateway({ auth });
  front = await startFront(auth, gw);
});

/** GET `path` verbatim (no URL normalisation); resolves {status, body}. */
function rawGet(base, path) {
  const { hostname, port } = new URL(base);
  return new Promise((res, rej) => {
    const req = request({ host: hostname, port, path, method: 'GET' }, (r) => {
      let body = '';
      r.on('data', (c) => (body += c));
      r.on('end', () => res({ status: r.statusCode, body }));
    });
    req.on('error', rej);
    req.end();
  });
}

test('a WebSocket-only socket connects through the front (upgrade proxied)', async () => {
  const gh = sdkClient(front, { socketOptions: { transports: ['websocket'] } });
  const user = await sdkUser(gh, stack);
  await gh.login({ username: user.username, password: user.password });
  await waitForState(gh, 'connected');
  assert.equal(gh.socket.io.engine.transport.name, 'websocket');
  assert.deepEqual(await gh.whoami(), { id: user.id, username: user.username });
  gh.disconnect();
});

test('only /auth, /.well-known and /socket.io are proxied; static paths stay inside their folders', async () => {
  assert.equal((await rawGet(front.url, '/.well-known/jwks.json')).status, 200);
  assert.equal((await rawGet(front.url, '/')).status, 200);
  assert.equal((await rawGet(front.url, '/sdk/index.js')).status, 200);
  for (const path of ['/metrics', '/healthz', '/readyz', '/openapi.json', '/../../package.json', '/%2e%2e/%2e%2e/README.md', '/sdk/../../package.json', '/sdk/%2e%2e/package.json', '/vendor/socket.io-client/../package.json']) {
    const r = await rawGet(front.url, path);
    assert.equal(r.status, 404, `${path} → ${r.status}`);
  }
  assert.equal((await rawGet(front.url, '/%E0%A4%A')).status, 400, 'malformed escapes are refused');
  assert.equal((await rawGet(front.url, '/')).status, 200, 'and the server is still up');
  // The same paths on the services themselves do exist (the 404s above are the front's).
  assert.equal((await rawGet(auth.httpUrl, '/healthz')).status, 200);
});

test('an unreachable upstream is a 502 with a stable code and no internals', async () => {
  const dead = await startDemoServer({ authUrl: 'http://127.0.0.1:1', gatewayUrl: 'http://127.0.0.1:1' });
  try {
    const r = await rawGet(dead.url, '/auth/me');
    assert.equal(r.status, 502);
    assert.deepEqual(JSON.parse(r.body), { code: 'unavailable', message: 'upstream unreachable' });
  } finally {
    await dead.close();
  }
});

test('backoff: exponential, capped, jittered in [ceiling/2, ceiling)', () => {
  const opts = { initialMs: 100, maxMs: 1000 };
  assert.deepEqual([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 0)), [50, 100, 200, 400, 500, 500]);
  assert.deepEqual([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 0.999999)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(backoffDelay(1e6, opts, () => 0.5), 750, 'huge attempt numbers stay at the cap');
});
