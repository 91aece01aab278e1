// The server API on two gateway replicas over one real redis-server, seen by
// the official socket.io-client: a backend publish on replica 1 reaches a
// socket on replica 2 and no one outside the room; publish by user reaches
// every device on both replicas; subscribe and disconnect (by user, by
// session) act on the other replica's sockets; an idempotent publish is
// delivered exactly once whichever replica gets the repeat.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Stack, newUser, connect, ask, next, sleep, disconnected } from '../lib/stack.mjs';

const KEY = randomBytes(24).toString('hex');
let auth, g1, g2;

before(async () => {
  const stack = new Stack({ name: 'server_api' });
  ({ auth, g1, g2 } = await stack.startCluster({ GATEWAY_API_ADDR: '127.0.0.1:0', GATEWAY_API_KEYS: KEY }));
});

async function call(gw, op, body) {
  const r = await fetch(`${gw.apiUrl}/${op}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

/** Records every `event` a socket receives. */
function record(socket, event) {
  const got = [];
  socket.on(event, (data) => got.push(data));
  return got;
}

/** Publishes a marker to the user and waits for it: whatever was sent before has arrived. */
async function settle(gw, user, socket) {
  const marker = next(socket, 'marker');
  assert.equal((await call(gw, 'publish', { user_id: user.id, event: 'marker', data: null })).status, 200);
  await marker;
}

test('a publish on replica 1 reaches room members on replica 2 and no one outside the room', async () => {
  const [inside, outside] = await Promise.all([newUser(auth, 'in'), newUser(auth, 'out')]);
  const a = await connect(g2.url, inside.token);
  const b = await connect(g2.url, outside.token);
  assert.deepEqual(await ask(a, 'room:join', { room: 'public:orders' }), { ok: true, room: 'public:orders' });
  const leaked = record(b, 'order.updated');
  const got = next(a, 'order.updated');
  assert.deepEqual(await call(g1, 'publish', { room: 'public:orders', event: 'order.updated', data: { id: 7, state: 'paid' } }), { status: 200, body: { ok: true } });
  assert.deepEqual(await got, { id: 7, state: 'paid' });
  await settle(g1, outside, b);
  assert.deepEqual(leaked, []);
  a.close();
  b.close();
});

test('publish by user reaches every device of that user on both replicas, and only them', async () => {
  const [user, other] = await Promise.all([newUser(auth, 'multi'), newUser(auth, 'other')]);
  const second = await user.login();
  const d1 = await connect(g1.url, user.token);
  const d2 = await connect(g2.url, second.token);
  const o = await connect(g2.url, other.token);
  const leaked = record(o, 'notice');
  const got = [next(d1, 'notice'), next(d2, 'notice')];
  assert.equal((await call(g2, 'publish', { user_id: user.id, event: 'notice', data: 'export ready' })).status, 200);
  assert.deepEqual(await Promise.all(got), ['export ready', 'export ready']);
  await settle(g2, other, o);
  assert.deepEqual(leaked, []);
  [d1, d2, o].forEach((s) => s.close());
});

test('subscribe on replica 1 moves a user socket on replica 2 into the room', async () => {
  const user = await newUser(auth, 'sub');
  const s = await connect(g2.url, user.token);
  const got = record(s, 'team.news');
  assert.deepEqual(await call(g1, 'subscribe', { user_id: user.id, room: 'team:7' }), { status: 200, body: { ok: true } });
  assert.equal((await call(g1, 'publish', { room: 'team:7', event: 'team.news', data: 1 })).status, 200);
  await settle(g1, user, s);
  assert.deepEqual(got, [1]);
  assert.deepEqual(await call(g2, 'unsubscribe', { user_id: user.id, room: 'team:7' }), { status: 200, body: { ok: true } });
  assert.equal((await call(g1, 'publish', { room: 'team:7', event: 'team.news', data: 2 })).status, 200);
  await settle(g1, user, s);
  assert.deepEqual(got, [1]);
  s.close();
});

test('disconnect by session closes that session on the other replica, by user every socket', async () => {
  const user = await newUser(auth, 'bye');
  const second = await user.login();
  const sid = (t) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url')).sid;
  const s1 = await connect(g2.url, user.token);
  const s2 = await connect(g2.url, second.token);
  const s3 = await connect(g1.url, second.token);
  const closed1 = disconnected(s1);
  assert.deepEqual(await call(g1, 'disconnect', { user_id: user.id, session_id: sid(user.token) }), { status: 200, body: { ok: true } });
  assert.equal(await closed1, 'io server disconnect');
  await settle(g1, user, s2);
  assert.ok(s2.connected && s3.connected);
  const closed = [disconnected(s2), disconnected(s3)];
  assert.deepEqual(await call(g2, 'disconnect', { user_id: user.id }), { status: 200, body: { ok: true } });
  assert.deepEqual(await Promise.all(closed), ['io server disconnect', 'io server disconnect']);
});

test('an idempotent publish is delivered exactly once, whichever replica gets the repeat', async () => {
  const user = await newUser(auth, 'idem');
  const s = await connect(g2.url, user.token);
  const got = record(s, 'charge');
  const body = { user_id: user.id, event: 'charge', data: { amount: 5 }, idempotency_key: `charge-${randomBytes(6).toString('hex')}` };
  const replies = await Promise.all([call(g1, 'publish', body), call(g2, 'publish', body), call(g1, 'publish', { ...body, data: 'other body' })]);
  assert.deepEqual(replies.map((r) => r.status), [200, 200, 200]);
  assert.equal(replies.filter((r) => r.body.duplicate === true).length, 2, JSON.stringify(replies));
  await settle(g1, user, s);
  await sleep(100);
  assert.equal(got.length, 1);
  s.close();
});
