// The application's hooks against a real HTTP hook server started by the
// test (e2e/lib/hooks.mjs, which verifies every call's Standard Webhooks
// signature with examples/hook-server/verify.mjs): room authorization
// (allow, deny, presence, and every fail-closed case proven by a later
// `message` refused with not_in_room), the identity taken from the token
// whatever the payload says, and RPC (result, app error code, bad code,
// timeout, in-flight limit). Then the example hook server itself.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, newUser, connect, ask } from '../lib/stack.mjs';
import { decode } from '../lib/jwt.mjs';
import { HookServer, hookSecret } from '../lib/hooks.mjs';
import { startHookServer } from '../../examples/hook-server/server.mjs';
import { keyOf, verify } from '../../examples/hook-server/verify.mjs';

const SECRET = hookSecret();
const TIMEOUT_MS = 600;
let stack, auth, gw, hooks, example, exampleGw;

before(async () => {
  hooks = await new HookServer(SECRET).start();
  example = await startHookServer({ secret: SECRET });
  stack = new Stack({ name: 'hooks' });
  auth = await stack.startAuth();
  const env = { HOOK_SECRET: SECRET, HOOK_TIMEOUT: `${TIMEOUT_MS}ms`, RPC_MAX_INFLIGHT: '2' };
  gw = await stack.startGateway({
    auth,
    env: { ...env, ROOM_AUTH_URL: `${hooks.url}/room`, RPC_URL: `${hooks.url}/rpc` },
  });
  const exampleUrl = `http://127.0.0.1:${example.address().port}`;
  exampleGw = await stack.startGateway({
    auth,
    name: 'gateway-example',
    env: { ...env, ROOM_AUTH_URL: `${exampleUrl}/room-auth`, RPC_URL: `${exampleUrl}/rpc` },
  });
  // Room names decide the answer, so tests do not step on each other.
  hooks.on('/room', ({ room }) => {
    const [, kind] = room.split(':');
    switch (kind) {
      case 'allow': return { json: { allow: true } };
      case 'deny': return { json: { allow: false } };
      case 'presence': return { json: { allow: true, presence: true } };
      case 'error500': return { status: 500, json: { allow: true } };
      case 'badjson': return { raw: '{"allow": tru' };
      case 'wrongshape': return { json: { allowed: 'yes' } };
      case 'slow': return { json: { allow: true }, delayMs: TIMEOUT_MS * 3 };
      default: return { json: { allow: false } };
    }
  });
  hooks.on('/rpc', ({ method, params }) => {
    switch (method) {
      case 'echo': return { json: { result: params } };
      case 'refuse': return { json: { error: { code: 'out_of_stock', message: 'none left' } } };
      case 'badcode': return { json: { error: { code: 'Not A Code!', message: 'x' } } };
      case 'slow': return { json: { result: 1 }, delayMs: TIMEOUT_MS * 3 };
      case 'hold': return { json: { result: 'held' }, delayMs: TIMEOUT_MS / 2 };
      case 'error500': return { status: 500 };
      default: return { json: { error: { code: 'unknown_method', message: method } } };
    }
  });
});

after(() => {
  hooks?.close();
  example?.close();
});

/** A connected socket of a fresh user, with the token's claims. */
async function member(url = gw.url) {
  const user = await newUser(auth, 'hk');
  const socket = await connect(url, user.token);
  return { user, socket, sid: decode(user.token).payload.sid };
}

/** Proves the socket is not in `room`: a message there is refused. */
async function notIn(socket, room) {
  assert.deepEqual(await ask(socket, 'message', { room, body: 'am I in?' }), { error: 'not_in_room' });
}

test('an allowed room is joined and usable; the hook saw the token identity, signed', async () => {
  const { user, socket, sid } = await member();
  const before = hooks.calls.length;
  assert.deepEqual(await ask(socket, 'room:join', { room: 'team:allow:1' }), { ok: true, room: 'team:allow:1' });
  assert.deepEqual(await ask(socket, 'message', { room: 'team:allow:1', body: 'hi team' }), { ok: true });
  const call = hooks.calls.slice(before).find((c) => c.path === '/room');
  assert.equal(call.verified, true);
  assert.deepEqual(call.body, { user: { id: user.id, username: user.username }, session_id: sid, room: 'team:allow:1' });
  assert.match(call.headers['webhook-id'], /^msg_/);
  assert.ok(Math.abs(Number(call.headers['webhook-timestamp']) - Date.now() / 1000) < 60);
  socket.close();
});

test('a denied room is forbidden and stays closed', async () => {
  const { socket } = await member();
  assert.deepEqual(await ask(socket, 'room:join', { room: 'team:deny:1' }), { error: 'forbidden' });
  await notIn(socket, 'team:deny:1');
  socket.close();
});

test('the hook can turn presence on: the join ack lists members', async () => {
  const a = await member();
  const b = await member();
  const ackA = await ask(a.socket, 'room:join', { room: 'doc:presence:7' });
  assert.deepEqual(ackA, { ok: true, room: 'doc:presence:7', members: [{ id: a.user.id, username: a.user.username }], count: 1 });
  const ackB = await ask(b.socket, 'room:join', { room: 'doc:presence:7' });
  assert.equal(ackB.count, 2);
  assert.deepEqual(new Set(ackB.members.map((m) => m.id)), new Set([a.user.id, b.user.id]));
  // Without presence from the hook, no listing.
  assert.deepEqual(await ask(a.socket, 'room:join', { room: 'doc:allow:7' }), { ok: true, room: 'doc:allow:7' });
  a.socket.close();
  b.socket.close();
});

test('every failing hook fails closed with the retryable `unavailable`', async () => {
  const { socket } = await member();
  for (const room of ['team:error500:1', 'team:badjson:1', 'team:wrongshape:1', 'team:slow:1']) {
    const t0 = Date.now();
    assert.deepEqual(await ask(socket, 'room:join', { room }), { error: 'unavailable' }, room);
    assert.ok(Date.now() - t0 < TIMEOUT_MS * 2.5, `${room} answered within about HOOK_TIMEOUT`);
    await notIn(socket, room);
  }
  // The socket stays usable.
  assert.deepEqual(await ask(socket, 'room:join', { room: 'team:allow:2' }), { ok: true, room: 'team:allow:2' });
  socket.close();
});

test('an unreachable hook fails closed too', async () => {
  const stopped = new HookServer(SECRET);
  await stopped.start();
  const url = stopped.url;
  stopped.close();
  const lone = await stack.startGateway({ auth, name: 'gateway-down-hook', env: { HOOK_SECRET: SECRET, HOOK_TIMEOUT: '300ms', ROOM_AUTH_URL: `${url}/room` } });
  const user = await newUser(auth, 'hk');
  const socket = await connect(lone.url, user.token);
  assert.deepEqual(await ask(socket, 'room:join', { room: 'team:allow:3' }), { error: 'unavailable' });
  await notIn(socket, 'team:allow:3');
  // Without RPC_URL, `rpc` is an unknown event.
  assert.deepEqual(await ask(socket, 'rpc', { method: 'echo', params: 1 }), { error: 'invalid_payload' });
  socket.close();
  await lone.stop();
});

test('the identity cannot be spoofed from the payload', async () => {
  const { user, socket, sid } = await member();
  // Extra fields on room:join are refused outright.
  assert.deepEqual(
    await ask(socket, 'room:join', { room: 'team:allow:4', user: { id: 'someone-else', username: 'admin' } }),
    { error: 'invalid_payload' },
  );
  const before = hooks.calls.length;
  const forged = { user: { id: 'someone-else', username: 'admin' }, session_id: 'forged' };
  assert.deepEqual(await ask(socket, 'rpc', { method: 'echo', params: forged }), { ok: true, result: forged });
  const call = hooks.calls.slice(before).find((c) => c.path === '/rpc');
  assert.equal(call.verified, true);
  assert.deepEqual(call.body.user, { id: user.id, username: user.username });
  assert.equal(call.body.session_id, sid);
  assert.deepEqual(call.body.params, forged);
  socket.close();
});

test('rpc: result, application code, bad code, failure and timeout', async () => {
  const { socket } = await member();
  assert.deepEqual(await ask(socket, 'rpc', { method: 'echo', params: { n: [1, 2] } }), { ok: true, result: { n: [1, 2] } });
  assert.deepEqual(await ask(socket, 'rpc', { method: 'echo' }), { ok: true, result: null });
  assert.deepEqual(await ask(socket, 'rpc', { method: 'refuse', params: {} }), { error: 'out_of_stock' });
  assert.deepEqual(await ask(socket, 'rpc', { method: 'badcode' }), { error: 'rpc_failed' });
  assert.deepEqual(await ask(socket, 'rpc', { method: 'error500' }), { error: 'unavailable' });
  assert.deepEqual(await ask(socket, 'rpc', { method: 'slow' }), { error: 'unavailable' });
  for (const bad of [{ method: 'has space' }, { method: '' }, { method: 'x'.repeat(65) }, { params: 1 }, { method: 'echo', extra: 1 }, 'echo']) {
    assert.deepEqual(await ask(socket, 'rpc', bad), { error: 'invalid_payload' }, JSON.stringify(bad));
  }
  socket.close();
});

test('rpc: at most RPC_MAX_INFLIGHT calls in flight per socket', async () => {
  const { socket } = await member();
  const other = await member();
  const replies = await Promise.all([
    ask(socket, 'rpc', { method: 'hold' }),
    ask(socket, 'rpc', { method: 'hold' }),
    ask(socket, 'rpc', { method: 'hold' }),
    // Another socket has its own allowance.
    ask(other.socket, 'rpc', { method: 'hold' }),
  ]);
  const codes = replies.map((r) => r.error ?? r.result);
  assert.deepEqual(codes.slice(0, 3).sort(), ['held', 'held', 'rate_limited']);
  assert.equal(codes[3], 'held');
  // Freed once answered.
  assert.deepEqual(await ask(socket, 'rpc', { method: 'hold' }), { ok: true, result: 'held' });
  socket.close();
  other.socket.close();
});

test('hook calls are timed by outcome in the metrics', async () => {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const count = (hook, outcome) => Number(text.match(new RegExp(`gatehouse_gateway_hook_seconds_count\\{hook="${hook}",outcome="${outcome}"\\} (\\d+)`))?.[1] ?? 0);
  assert.ok(count('room_auth', 'ok') >= 3, text);
  assert.ok(count('room_auth', 'timeout') >= 1);
  assert.ok(count('room_auth', 'status') >= 1);
  assert.ok(count('room_auth', 'invalid') >= 2);
  assert.ok(count('rpc', 'ok') >= 3);
});

test('the example hook server: doc rooms with presence, teams by membership, rpc, unsigned calls refused', async () => {
  const { user, socket } = await member(exampleGw.url);
  const ack = await ask(socket, 'room:join', { room: 'doc:42' });
  assert.deepEqual(ack, { ok: true, room: 'doc:42', members: [{ id: user.id, username: user.username }], count: 1 });
  assert.deepEqual(await ask(socket, 'room:join', { room: 'team:red' }), { error: 'forbidden' });
  assert.deepEqual(await ask(socket, 'room:join', { room: 'order:9' }), { error: 'forbidden' });
  assert.deepEqual(await ask(socket, 'rpc', { method: 'echo', params: [1] }), { ok: true, result: { echo: [1], caller: user.username } });
  assert.deepEqual(await ask(socket, 'rpc', { method: 'nope' }), { error: 'unknown_method' });
  socket.close();
  const url = `http://127.0.0.1:${example.address().port}`;
  const body = JSON.stringify({ user: { id: 'x', username: 'ada' }, session_id: 's', room: 'team:red' });
  const unsigned = await fetch(`${url}/room-auth`, { method: 'POST', body });
  assert.equal(unsigned.status, 401);
  const forged = await fetch(`${url}/room-auth`, {
    method: 'POST',
    body,
    headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
  });
  assert.equal(forged.status, 401);
});

test('the example verifier accepts the Standard Webhooks test vector and nothing else', () => {
  const key = keyOf('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  const body = Buffer.from('{"test": 2432232314}');
  const headers = {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  };
  assert.equal(verify(key, headers, body, 1614265330), true);
  assert.equal(verify(key, { ...headers, 'webhook-signature': 'v2,x v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }, body, 1614265330), true);
  assert.equal(verify(key, headers, Buffer.from('{"test": 2432232315}'), 1614265330), false);
  assert.equal(verify(key, { ...headers, 'webhook-id': 'msg_other' }, body, 1614265330), false);
  assert.equal(verify(key, headers, body, 1614265330 + 301), false, 'too old');
  assert.equal(verify(key, headers, body, 1614265330 - 301), false, 'from the future');
});
