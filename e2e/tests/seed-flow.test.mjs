// The seed article's client flow, unchanged (register → login →
// io(url, {auth: {token}}) with default transports: polling, then upgrade),
// followed by the events of an authenticated socket, the room policy, and
// malformed payloads for every event.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { Stack, newUser, connect, ask, next, sleep, withTimeout, socketFor } from '../lib/stack.mjs';

let stack, auth, gw, alice, bob;

before(async () => {
  stack = new Stack({ name: 'seed' });
  auth = await stack.startAuth();
  gw = await stack.startGateway({ auth, env: { MAX_CONNECTIONS_PER_USER: '100' } });
  [alice, bob] = await Promise.all([newUser(auth, 'alice'), newUser(auth, 'bob')]);
});

test('the seed client registers, logs in and connects with io(url, {auth: {token}})', async () => {
  const username = stack.uniqueName('seed');
  const email = `${username}@example.test`;
  const password = 'correct horse battery';
  const reg = await auth.api.register(username, email, password);
  assert.equal(reg.status, 201);
  assert.equal(reg.body.message, 'Registration successful');
  const login = await auth.api.login(username, password);
  assert.equal(login.status, 200);
  assert.equal(login.body.message, 'Login successful');
  const { token } = login.body;
  assert.equal(typeof token, 'string');

  // Exactly the seed's call: default options (polling first, then upgrade).
  const client = io(gw.url, { auth: { token } });
  let firstTransport;
  client.io.once('open', () => {
    firstTransport = client.io.engine.transport.name;
  });
  try {
    await withTimeout(new Promise((res, rej) => {
      client.on('connect', res);
      client.on('connect_error', (e) => rej(new Error(`connect_error: ${e.message}`)));
    }), 8000, 'seed client connect');
    assert.equal(firstTransport, 'polling', 'the default client starts with HTTP long-polling');
    const me = await ask(client, 'whoami');
    assert.deepEqual(me, { id: reg.body.user.id, username });
    // The default client upgrades to WebSocket; the socket keeps working across the upgrade.
    const upgraded = client.io.engine.transport.name === 'websocket'
      || (await withTimeout(new Promise((res) => client.io.engine.once('upgrade', () => res(true))), 5000, 'upgrade'));
    assert.ok(upgraded);
    assert.equal(client.io.engine.transport.name, 'websocket');
    assert.deepEqual(await ask(client, 'whoami'), { id: reg.body.user.id, username });
  } finally {
    client.close();
  }
});

test('messages reach the room with the sender identity from the token, never from the payload', async () => {
  const a = await connect(gw.url, alice.token, { transports: ['polling', 'websocket'] });
  const b = await connect(gw.url, bob.token);
  try {
    assert.deepEqual(await ask(a, 'room:join', { room: 'public:lobby' }), { ok: true, room: 'public:lobby' });
    assert.deepEqual(await ask(b, 'room:join', { room: 'public:lobby' }), { ok: true, room: 'public:lobby' });

    const received = next(b, 'message');
    const before = Date.now();
    const ack = await ask(a, 'message', {
      room: 'public:lobby',
      body: 'hello bob',
      from: { id: bob.id, username: bob.username },
    });
    assert.deepEqual(ack, { ok: true });
    const msg = await received;
    assert.deepEqual(Object.keys(msg).sort(), ['at', 'body', 'from', 'room']);
    assert.deepEqual(msg.from, { id: alice.id, username: alice.username });
    assert.equal(msg.room, 'public:lobby');
    assert.equal(msg.body, 'hello bob');
    assert.equal(typeof msg.at, 'number');
    assert.ok(Math.abs(msg.at - before) < 10000, `at=${msg.at} is server time in ms`);
  } finally {
    a.close();
    b.close();
  }
});

test('the room policy: own user room allowed, other user rooms and unknown prefixes forbidden', async () => {
  const a = await connect(gw.url, alice.token);
  try {
    assert.deepEqual(await ask(a, 'room:join', { room: `user:${alice.id}` }), { ok: true, room: `user:${alice.id}` });
    assert.deepEqual(await ask(a, 'room:join', { room: `user:${bob.id}` }), { error: 'forbidden' });
    assert.deepEqual(await ask(a, 'room:join', { room: 'private:x' }), { error: 'forbidden' });
    assert.deepEqual(await ask(a, 'room:leave', { room: `user:${alice.id}` }), { error: 'forbidden' });
    assert.deepEqual(await ask(a, 'message', { room: `user:${bob.id}`, body: 'psst' }), { error: 'not_in_room' });
  } finally {
    a.close();
  }
});

test('a message to a room the socket has not joined is refused, and nobody receives it', async () => {
  const a = await connect(gw.url, alice.token);
  const b = await connect(gw.url, bob.token);
  try {
    assert.deepEqual(await ask(b, 'room:join', { room: 'public:quiet' }), { ok: true, room: 'public:quiet' });
    let leaked = false;
    b.on('message', () => {
      leaked = true;
    });
    assert.deepEqual(await ask(a, 'message', { room: 'public:quiet', body: 'gatecrash' }), { error: 'not_in_room' });
    // After leaving, sending is refused again.
    assert.deepEqual(await ask(a, 'room:join', { room: 'public:quiet' }), { ok: true, room: 'public:quiet' });
    assert.deepEqual(await ask(a, 'room:leave', { room: 'public:quiet' }), { ok: true, room: 'public:quiet' });
    assert.deepEqual(await ask(a, 'message', { room: 'public:quiet', body: 'gone' }), { error: 'not_in_room' });
    await sleep(200);
    assert.equal(leaked, false);
  } finally {
    a.close();
    b.close();
  }
});

test('malformed payloads of every event get an error ack and the socket keeps working', async () => {
  const huge = 'x'.repeat(10_000);
  const cases = {
    'room:join': [[], [null], ['public:lobby'], [42], [[]], [{}], [{ room: 7 }], [{ room: null }], [{ room: ['public:a'] }],
      [{ room: { $ne: null } }], [{ room: `public:${huge}` }]],
    'room:leave': [[], [null], ['public:malformed'], [{}], [{ room: 1 }], [{ room: { $gt: '' } }]],
    message: [[], [null], ['hi'], [[]], [{}], [{ room: 'public:malformed' }], [{ body: 'hi' }],
      [{ room: 'public:malformed', body: 5 }], [{ room: 'public:malformed', body: '' }],
      [{ room: 'public:malformed', body: null }], [{ room: 7, body: 'hi' }],
      [{ room: 'public:malformed', body: 'x'.repeat(4097) }], [{ room: 'public:malformed', body: { $gt: '' } }]],
    'auth:refresh': [[], [null], ['token'], [{}], [{ token: 5 }], [{ token: null }], [{ token: '' }],
      [{ token: huge }], [{ token: { $ne: null } }]],
    'no-such-event': [[], [{ room: 'public:malformed' }]],
  };
  const failures = [];
  // One socket per event keeps each well under the default event burst (40),
  // so every ack below is the validation answer, not rate limiting.
  for (const [event, list] of Object.entries(cases)) {
    const a = await connect(gw.url, alice.token, { transports: ['websocket'] });
    try {
      assert.deepEqual(await ask(a, 'room:join', { room: 'public:malformed' }), { ok: true, room: 'public:malformed' });
      for (const args of list) {
        const ack = await ask(a, event, ...args);
        const ok = ack && typeof ack === 'object' && typeof ack.error === 'string' && ack.error !== 'rate_limited' && !('ok' in ack);
        if (!ok) failures.push(`${event} ${JSON.stringify(args).slice(0, 80)} → ${JSON.stringify(ack)}`);
      }
      assert.equal(a.connected, true, `still connected after malformed ${event}`);
      assert.deepEqual(await ask(a, 'whoami'), { id: alice.id, username: alice.username });
      assert.deepEqual(await ask(a, 'message', { room: 'public:malformed', body: 'still here' }), { ok: true });
    } finally {
      a.close();
    }
  }
  assert.deepEqual(failures, [], 'every malformed payload must be refused with {error}');
});

test('payloads with extra `$` keys are refused by every event', async () => {
  const a = await connect(gw.url, alice.token, { transports: ['websocket'] });
  try {
    assert.deepEqual(await ask(a, 'room:join', { room: 'public:dollar' }), { ok: true, room: 'public:dollar' });
    const cases = [
      ['room:join', { room: 'public:dollar2', $where: 'sleep(1000)' }],
      ['room:leave', { room: 'public:dollar', $set: { x: 1 } }],
      ['message', { room: 'public:dollar', body: 'hi', $where: '1' }],
      ['message', { room: 'public:dollar', body: 'hi', $set: { admin: true } }],
      ['auth:refresh', { token: alice.token, $where: '1' }],
    ];
    const accepted = [];
    for (const [event, payload] of cases) {
      const ack = await ask(a, event, payload);
      if (!(ack && typeof ack.error === 'string')) accepted.push(`${event} ${JSON.stringify(payload).slice(0, 70)} → ${JSON.stringify(ack)}`);
    }
    assert.deepEqual(accepted, [], 'extra `$` keys must be refused with {error}');
    assert.deepEqual(await ask(a, 'whoami'), { id: alice.id, username: alice.username });
  } finally {
    a.close();
  }
});

test('malformed payloads are refused with the documented codes', async () => {
  const a = await connect(gw.url, alice.token, { transports: ['websocket'] });
  try {
    assert.deepEqual(await ask(a, 'room:join', { room: 'public:codes' }), { ok: true, room: 'public:codes' });
    assert.deepEqual(await ask(a, 'room:join', { room: 7 }), { error: 'invalid_payload' });
    assert.deepEqual(await ask(a, 'room:join'), { error: 'invalid_payload' });
    assert.deepEqual(await ask(a, 'message', { room: 'public:codes', body: '' }), { error: 'invalid_payload' });
    assert.deepEqual(await ask(a, 'message', { room: 'public:codes', body: 'x'.repeat(4097) }), { error: 'invalid_payload' });
    assert.deepEqual(await ask(a, 'message', { room: 'public:codes', body: 'x'.repeat(20_000) }), { error: 'payload_too_large' });
    assert.deepEqual(await ask(a, 'auth:refresh', { token: 'garbage' }), { error: 'invalid_token' });
    assert.deepEqual(await ask(a, 'no-such-event', {}), { error: 'invalid_payload' });
    assert.deepEqual(await ask(a, 'message', { room: 'public:codes', body: 'ok' }), { ok: true });
  } finally {
    a.close();
  }
});

test('an event emitted before the connection is acknowledged is still answered', async () => {
  // socket.io-client buffers emits made before `connect` and flushes them
  // right behind the handshake: the server must have its handlers in place
  // by the time it acknowledges the connection.
  const sockets = Array.from({ length: 60 }, () => socketFor(gw.url, alice.token, { transports: ['websocket'] }));
  try {
    const acks = await Promise.all(sockets.map((s) => s.timeout(4000).emitWithAck('whoami')));
    for (const ack of acks) assert.deepEqual(ack, { id: alice.id, username: alice.username });
  } finally {
    for (const s of sockets) s.close();
  }
});
