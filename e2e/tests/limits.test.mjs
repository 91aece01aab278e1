// Gateway limits: connections per user, event payload size, event rate.

import { test, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, newUser, connect, refusal, ask, sleep, next, withTimeout } from '../lib/stack.mjs';

const MAX_EVENT_BYTES = 2048;
const FRAMING_ALLOWANCE = 4096; // documented engine-level cap: MAX_EVENT_BYTES + 4096
const EVENT_BURST = 10;
const EVENT_RATE_PER_SEC = 2;
const ABUSE_DISCONNECT_AFTER = 50; // documented: consecutive rate-limited events

let stack, auth, gw;

before(async () => {
  stack = new Stack({ name: 'limits' });
  auth = await stack.startAuth();
  gw = await stack.startGateway({
    auth,
    env: {
      MAX_CONNECTIONS_PER_USER: '2',
      MAX_EVENT_BYTES: String(MAX_EVENT_BYTES),
      EVENT_BURST: String(EVENT_BURST),
      EVENT_RATE_PER_SEC: String(EVENT_RATE_PER_SEC),
    },
  });
});

const ws = { transports: ['websocket'] };

test('a third socket of a user is too_many_connections; after one leaves a new one is accepted', async () => {
  const user = await newUser(auth, 'limit');
  const second = await user.login(); // a second session of the same user counts too
  const a = await connect(gw.url, user.token, ws);
  const b = await connect(gw.url, second.token, ws);
  const third = await refusal(gw.url, user.token, ws);
  assert.deepEqual(third, { message: 'too_many_connections', connected: false });
  const fourth = await refusal(gw.url, second.token); // polling too
  assert.deepEqual(fourth, { message: 'too_many_connections', connected: false });
  // Another user is not affected.
  const other = await newUser(auth, 'limit');
  const o = await connect(gw.url, other.token, ws);
  o.close();

  a.close();
  await sleep(300); // let the gateway process the client's disconnect packet
  const c = await connect(gw.url, user.token, ws);
  assert.deepEqual(await ask(c, 'whoami'), { id: user.id, username: user.username });
  assert.deepEqual(await refusal(gw.url, user.token, ws), { message: 'too_many_connections', connected: false });
  b.close();
  c.close();
});

test('concurrent handshakes of one user get exactly the limit, no more and no fewer', async () => {
  // Repeated with fresh users: a counting race shows up only some of the time.
  for (let round = 0; round < 8; round++) {
    const user = await newUser(auth, 'race');
    const attempts = await Promise.allSettled(Array.from({ length: 6 }, () => connect(gw.url, user.token, ws)));
    const ok = attempts.filter((r) => r.status === 'fulfilled');
    const refused = attempts.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
    ok.forEach((r) => r.value.close());
    assert.equal(ok.length, 2, `round ${round}: accepted ${ok.length} of 6 with MAX_CONNECTIONS_PER_USER=2; refused: ${refused}`);
    assert.deepEqual(refused, Array(4).fill('too_many_connections'));
  }
});

test('an event over MAX_EVENT_BYTES is acked payload_too_large and the socket stays usable', async () => {
  const user = await newUser(auth, 'size');
  const s = await connect(gw.url, user.token, ws);
  assert.deepEqual(await ask(s, 'room:join', { room: 'public:size' }), { ok: true, room: 'public:size' });
  const fits = 'x'.repeat(MAX_EVENT_BYTES - 100);
  assert.deepEqual(await ask(s, 'message', { room: 'public:size', body: fits.slice(0, 1900) }), { ok: true });
  const over = 'x'.repeat(MAX_EVENT_BYTES + 500);
  assert.deepEqual(await ask(s, 'message', { room: 'public:size', body: over }), { error: 'payload_too_large' });
  assert.deepEqual(await ask(s, 'room:join', { room: 'public:size', pad: over }), { error: 'payload_too_large' });
  assert.equal(s.connected, true);
  assert.deepEqual(await ask(s, 'whoami'), { id: user.id, username: user.username });
  s.close();
});

test('a packet over the engine cap (MAX_EVENT_BYTES + 4096) closes the connection', async () => {
  const user = await newUser(auth, 'huge');
  for (const transports of [['websocket'], ['polling']]) {
    const s = await connect(gw.url, user.token, { transports });
    const gone = next(s, 'disconnect', 5000);
    s.emit('message', { room: 'public:size', body: 'x'.repeat(MAX_EVENT_BYTES + FRAMING_ALLOWANCE + 1000) }, () => {});
    const reason = await gone;
    assert.match(reason, /transport (close|error)/, `${transports}: ${reason}`);
    assert.equal(s.connected, false);
    s.close();
    await sleep(100);
  }
  // The user can reconnect afterwards.
  const again = await connect(gw.url, user.token, ws);
  again.close();
});

test('a burst over EVENT_BURST is rate_limited, and the bucket refills', async () => {
  const user = await newUser(auth, 'rate');
  const s = await connect(gw.url, user.token, ws);
  const acks = await Promise.all(Array.from({ length: EVENT_BURST + 3 }, () => ask(s, 'whoami')));
  const ok = acks.filter((a) => a.id === user.id).length;
  const limited = acks.filter((a) => a.error === 'rate_limited').length;
  assert.equal(ok + limited, acks.length, JSON.stringify(acks));
  // A few tokens may refill while the burst is in flight.
  assert.ok(ok >= EVENT_BURST && ok <= EVENT_BURST + 1, `ok=${ok}`);
  assert.ok(limited >= 2, `limited=${limited}`);
  assert.equal(s.connected, true, 'a few rate-limited events do not disconnect');
  await sleep(1100); // 2 tokens per second
  assert.deepEqual(await ask(s, 'whoami'), { id: user.id, username: user.username });
  s.close();
});

test(`${ABUSE_DISCONNECT_AFTER} consecutive rate-limited events disconnect the socket`, async () => {
  const user = await newUser(auth, 'abuse');
  const s = await connect(gw.url, user.token, ws);
  const gone = next(s, 'disconnect', 5000);
  const acks = [];
  for (let i = 0; i < EVENT_BURST + ABUSE_DISCONNECT_AFTER + 5; i++) {
    s.emit('whoami', (a) => acks.push(a));
  }
  const reason = await gone;
  assert.equal(reason, 'io server disconnect');
  assert.ok(acks.filter((a) => a.error === 'rate_limited').length >= ABUSE_DISCONNECT_AFTER - 5, JSON.stringify(acks.slice(-3)));
  // It is a disconnect, not a ban: a well-behaved client may connect again.
  const again = await connect(gw.url, user.token, ws);
  assert.deepEqual(await ask(again, 'whoami'), { id: user.id, username: user.username });
  again.close();
});

test('one socket rate-limited does not limit another socket of the same user', async () => {
  const user = await newUser(auth, 'fair');
  const a = await connect(gw.url, user.token, ws);
  const b = await connect(gw.url, user.token, ws);
  await Promise.all(Array.from({ length: EVENT_BURST + 2 }, () => ask(a, 'whoami')));
  assert.deepEqual(await withTimeout(ask(b, 'whoami'), 3000, 'whoami'), { id: user.id, username: user.username });
  a.close();
  b.close();
});

describe('rooms per socket', () => {
  let stack, auth, gw;
  before(async () => {
    stack = new Stack({ name: 'rooms-cap' });
    auth = await stack.startAuth();
    gw = await stack.startGateway({ auth, env: { MAX_ROOMS_PER_SOCKET: '3' } });
  });

  test('a socket joins at most MAX_ROOMS_PER_SOCKET rooms besides its own, even when racing', async () => {
    const user = await newUser(auth, 'rooms');
    const racing = await connect(gw.url, user.token, { transports: ['websocket'] });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ask(racing, 'room:join', { room: `public:r${i}` })),
    );
    assert.equal(answers.filter((a) => a.ok).length, 3, JSON.stringify(answers));
    assert.ok(answers.filter((a) => !a.ok).every((a) => a.error === 'too_many_rooms'));

    const s = await connect(gw.url, user.token, { transports: ['websocket'] });
    for (const room of ['public:a', 'public:b', 'public:c']) {
      assert.deepEqual(await ask(s, 'room:join', { room }), { ok: true, room });
    }
    assert.deepEqual(await ask(s, 'room:join', { room: 'public:d' }), { error: 'too_many_rooms' });
    assert.deepEqual(await ask(s, 'room:join', { room: 'public:a' }), { ok: true, room: 'public:a' }, 'rejoining is free');
    assert.deepEqual(await ask(s, 'room:leave', { room: 'public:b' }), { ok: true, room: 'public:b' });
    assert.deepEqual(await ask(s, 'room:join', { room: 'public:d' }), { ok: true, room: 'public:d' });
    assert.deepEqual(await ask(s, 'whoami'), { id: user.id, username: user.username }, 'still usable');
  });
});
