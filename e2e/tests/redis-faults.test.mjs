// Redis faults with two gateway replicas (README, "Operations"): a gateway
// started while Redis is down serves /healthz, answers everything else 503
// `redis_unreachable` and starts once Redis answers; Redis lost under live
// sockets: /readyz fails, local sockets keep working (events, local room
// delivery), and cross-replica delivery resumes when Redis returns — no
// crash, no restart.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, newUser, connect, ask, next, sleep, startRedis, haveRedis, freePort } from '../lib/stack.mjs';

if (!(await haveRedis())) throw new Error('redis-server is not installed (scripts/test.sh installs it)');

let stack, auth;

before(async () => {
  stack = new Stack({ name: 'redis_faults' });
  auth = await stack.startAuth();
});

async function readyz(url) {
  try {
    const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
    return { status: r.status, body: await r.json() };
  } catch (e) {
    return { status: 0, body: { error: e.message } };
  }
}

async function until(what, probe, ms = 15000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('a gateway starts not ready while Redis is down, and starts once it answers', async () => {
  const redisPort = await freePort();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { REDIS_URL: `redis://127.0.0.1:${redisPort}/?protocol=resp3`, GATEWAY_ADDR: `127.0.0.1:${port}` };
  const starting = stack.startGateway({ auth, env, name: 'gateway-early', ready: false });
  await until('the waiting listener', async () => (await readyz(url)).status === 503);
  assert.deepEqual((await readyz(url)).body, { ready: false, reason: 'redis_unreachable' });
  assert.equal((await fetch(`${url}/healthz`)).status, 200, 'alive while waiting');
  const poll = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
  assert.equal(poll.status, 503, 'no sessions before Redis');
  const redis = await startRedis(redisPort);
  const gw = await starting;
  await gw.waitReady();
  const user = await newUser(auth, 'early');
  const s = await connect(gw.url, user.token);
  assert.deepEqual(await ask(s, 'whoami'), { id: user.id, username: user.username });
  s.close();
  await gw.stop();
  await redis.child.stop('SIGKILL');
});

test('Redis lost under live sockets: not ready, local sockets keep working, delivery resumes', async () => {
  const redisPort = await freePort();
  let redis = await startRedis(redisPort);
  const env = { REDIS_URL: redis.url };
  const [g1, g2] = await Promise.all([
    stack.startGateway({ auth, env, name: 'gateway-r1' }),
    stack.startGateway({ auth, env, name: 'gateway-r2' }),
  ]);
  const [ann, bob, cid] = await Promise.all([newUser(auth, 'ann'), newUser(auth, 'bob'), newUser(auth, 'cid')]);
  const a = await connect(g1.url, ann.token);
  const c = await connect(g1.url, cid.token);
  const b = await connect(g2.url, bob.token);
  for (const s of [a, b, c]) assert.deepEqual(await ask(s, 'room:join', { room: 'public:faults' }), { ok: true, room: 'public:faults' });
  const crossed = next(b, 'message');
  await ask(a, 'message', { room: 'public:faults', body: 'before' });
  assert.equal((await crossed).body, 'before');

  await redis.child.stop('SIGKILL');
  for (const gw of [g1, g2]) {
    await until(`${gw.name} not ready`, async () => (await readyz(gw.url)).body.reason === 'redis_unreachable', 6000);
  }
  // Local sockets keep working: events, and delivery within a replica.
  assert.deepEqual(await ask(a, 'whoami'), { id: ann.id, username: ann.username });
  const local = next(c, 'message');
  assert.deepEqual(await ask(a, 'message', { room: 'public:faults', body: 'during' }), { ok: true });
  assert.equal((await local).body, 'during');

  redis = await startRedis(redisPort);
  for (const gw of [g1, g2]) {
    await until(`${gw.name} ready again`, async () => (await readyz(gw.url)).status === 200, 15000);
  }
  // Cross-replica delivery resumes (the relay resubscribes with backoff).
  const got = [];
  b.on('message', (m) => got.push(m.body));
  await until('a message across replicas after Redis returned', async () => {
    await ask(a, 'message', { room: 'public:faults', body: 'after' });
    await sleep(200);
    return got.includes('after');
  }, 15000);
  assert.ok(a.connected && b.connected && c.connected, 'no socket was dropped');
  assert.equal(g1.child.exited || g2.child.exited, false, 'no crash');
  [a, b, c].forEach((s) => s.close());
  await redis.child.stop('SIGKILL');
});
