// Two gateway replicas sharing rooms through one redis-server (REDIS_URL):
// messages cross replicas, a logout closes sockets on every replica, and the
// per-user limit counts sockets on both.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, newUser, connect, refusal, ask, next, sleep, watchDisconnect } from '../lib/stack.mjs';

const ws = { transports: ['websocket'] };
let stack, auth, g1, g2;

before(async () => {
  stack = new Stack({ name: 'cluster' });
  ({ auth, g1, g2 } = await stack.startCluster({ MAX_CONNECTIONS_PER_USER: '2' }));
});

test('messages in a public room cross replicas, in both directions', async () => {
  const [alice, bob] = await Promise.all([newUser(auth, 'alice'), newUser(auth, 'bob')]);
  const a = await connect(g1.url, alice.token, ws);
  const b = await connect(g2.url, bob.token);
  assert.deepEqual(await ask(a, 'room:join', { room: 'public:cluster' }), { ok: true, room: 'public:cluster' });
  assert.deepEqual(await ask(b, 'room:join', { room: 'public:cluster' }), { ok: true, room: 'public:cluster' });

  const atB = next(b, 'message');
  assert.deepEqual(await ask(a, 'message', { room: 'public:cluster', body: 'from replica 1' }), { ok: true });
  const m1 = await atB;
  assert.deepEqual({ ...m1, at: 0 }, { from: { id: alice.id, username: alice.username }, room: 'public:cluster', body: 'from replica 1', at: 0 });

  const atA = next(a, 'message');
  assert.deepEqual(await ask(b, 'message', { room: 'public:cluster', body: 'from replica 2', from: { id: alice.id, username: 'x' } }), { ok: true });
  const m2 = await atA;
  assert.deepEqual(m2.from, { id: bob.id, username: bob.username });
  assert.equal(m2.body, 'from replica 2');

  // Leaving stops delivery across replicas too.
  assert.deepEqual(await ask(b, 'room:leave', { room: 'public:cluster' }), { ok: true, room: 'public:cluster' });
  let leaked = false;
  b.on('message', () => {
    leaked = true;
  });
  assert.deepEqual(await ask(a, 'message', { room: 'public:cluster', body: 'anyone?' }), { ok: true });
  await sleep(300);
  assert.equal(leaked, false);
  a.close();
  b.close();
});

test('logout-all closes the user’s sockets on both replicas within 1 s', async () => {
  const user = await newUser(auth, 'multi');
  const second = await user.login();
  const s1 = await connect(g1.url, user.token, ws);
  const s2 = await connect(g2.url, second.token, ws);
  const watchers = [s1, s2].map(watchDisconnect);
  const res = await auth.api.logout({ token: user.token, all: true });
  assert.equal(res.status, 204);
  const t0 = Date.now();
  const deadline = t0 + 3000;
  while (!watchers.every((w) => w()) && Date.now() < deadline) await sleep(20);
  const delays = watchers.map((w) => (w() ? w().at - t0 : Infinity));
  assert.ok(delays.every((d) => d <= 1000), `delays ${delays} ms`);
  assert.deepEqual(await refusal(g2.url, second.token, ws), { message: 'session_revoked', connected: false });
});

test('the per-user limit counts sockets on both replicas', async () => {
  const user = await newUser(auth, 'limit');
  const a = await connect(g1.url, user.token, ws);
  const b = await connect(g2.url, user.token, ws);
  assert.deepEqual(await refusal(g1.url, user.token, ws), { message: 'too_many_connections', connected: false });
  assert.deepEqual(await refusal(g2.url, user.token, ws), { message: 'too_many_connections', connected: false });
  b.close();
  await sleep(300);
  const c = await connect(g1.url, user.token, ws);
  assert.deepEqual(await ask(c, 'whoami'), { id: user.id, username: user.username });
  a.close();
  c.close();
});

test('a user room reaches the user’s sockets on both replicas', async () => {
  // Messages to `user:<id>` (the own room every socket joins) fan out cluster-wide.
  const user = await newUser(auth, 'self');
  const a = await connect(g1.url, user.token, ws);
  const b = await connect(g2.url, user.token, ws);
  const atB = next(b, 'message');
  assert.deepEqual(await ask(a, 'message', { room: `user:${user.id}`, body: 'to my other device' }), { ok: true });
  assert.equal((await atB).body, 'to my other device');
  a.close();
  b.close();
});
