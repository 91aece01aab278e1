// The SDK's typed helpers for presence and the application's RPC hook
// (README, "Presence", "Application hooks") against the real gateway and a
// real HTTP hook server that checks the Standard Webhooks signature:
// joinRoom lists the members, members() counts distinct users, presence
// events arrive, rpc() resolves the hook's result and rejects with its code.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Stack } from '../lib/stack.mjs';
import { startFront, sdkClient, waitForState, sdkUser } from '../lib/sdk.mjs';

const SECRET = randomBytes(32);
let stack, front, hook;
const hookCalls = [];

/** The application's RPC endpoint: `echo` answers its params, anything else a coded error. */
function startHook() {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig = '' } = req.headers;
      const want = Buffer.from(`v1,${createHmac('sha256', SECRET).update(`${id}.${ts}.${body}`).digest('base64')}`);
      const ok = sig.split(' ').some((s) => s.length === want.length && timingSafeEqual(Buffer.from(s), want));
      if (!ok) return void res.writeHead(401).end();
      const call = JSON.parse(body);
      hookCalls.push(call);
      const reply = call.method === 'echo' ? { result: { echo: call.params, user: call.user.username } } : { error: { code: 'not_allowed', message: 'no' } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res(server)));
}

before(async () => {
  hook = await startHook();
  stack = new Stack({ name: 'sdk_presence' });
  const auth = await stack.startAuth();
  const gw = await stack.startGateway({
    auth,
    env: { RPC_URL: `http://127.0.0.1:${hook.address().port}/rpc`, HOOK_SECRET: `whsec_${SECRET.toString('base64')}` },
  });
  front = await startFront(auth, gw);
});

after(() => hook?.close());

async function loggedIn() {
  const gh = sdkClient(front);
  const user = await sdkUser(gh, stack);
  await gh.login({ username: user.username, password: user.password });
  await waitForState(gh, 'connected');
  return { gh, user };
}

test('presence: join lists members, members() counts users, join/leave events arrive', async () => {
  const room = `presence:${stack.uniqueName('p')}`;
  const { gh: a, user: ua } = await loggedIn();
  const first = await a.joinRoom(room);
  assert.equal(first.count, 1);
  assert.deepEqual(first.members, [{ id: ua.id, username: ua.username }]);

  const joined = new Promise((res) => a.socket.on('presence:join', res));
  const { gh: b, user: ub } = await loggedIn();
  const second = await b.joinRoom(room);
  assert.equal(second.count, 2);
  assert.deepEqual(await joined, { room, user: { id: ub.id, username: ub.username } });
  const listed = await a.members(room);
  assert.equal(listed.count, 2);
  assert.deepEqual(listed.members.map((m) => m.id).sort(), [ua.id, ub.id].sort());

  const left = new Promise((res) => a.socket.on('presence:leave', res));
  await b.logout();
  assert.deepEqual(await left, { room, user: { id: ub.id, username: ub.username } });
  await assert.rejects(a.members('public:not-presence'), { code: 'forbidden' });
});

test('rpc resolves with the hook result and rejects with the hook code', async () => {
  const { gh, user } = await loggedIn();
  assert.deepEqual(await gh.rpc('echo', { n: 1 }), { echo: { n: 1 }, user: user.username });
  await assert.rejects(gh.rpc('deny', {}), { code: 'not_allowed' });
  await assert.rejects(gh.rpc('bad method name!', {}), { code: 'invalid_payload' });
  assert.equal(hookCalls.at(-1).method, 'deny', 'an invalid method never reaches the hook');
  assert.equal(hookCalls.at(-1).user.id, user.id, 'the identity comes from the token');
});
