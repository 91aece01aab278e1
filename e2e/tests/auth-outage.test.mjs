// The auth-service goes away and comes back on the same ports: a handshake
// that needs CheckSession is refused with the retryable `auth_unavailable`,
// and the very same client socket connects with `socket.connect()` once the
// auth-service is back, without restarting the gateway.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, newUser, socketFor, awaitConnect, connect, ask, sleep } from '../lib/stack.mjs';

let stack, auth, gw;

before(async () => {
  stack = new Stack({ name: 'outage' });
  auth = await stack.startAuth();
  gw = await stack.startGateway({ auth });
});

test('auth-service down → auth_unavailable; back on the same ports → the same socket connects', async () => {
  // A session the gateway has never checked, so nothing is cached for it.
  const user = await newUser(auth, 'outage');
  const other = await newUser(auth, 'outage');
  // A live socket of another user made before the outage.
  const live = await connect(gw.url, other.token, { transports: ['websocket'] });

  // A crash (SIGKILL): a graceful stop keeps the gateway's WatchRevocations
  // stream open for the auth-service's shutdown grace, which is not the point here.
  await auth.stop('SIGKILL');

  const socket = socketFor(gw.url, user.token);
  const started = Date.now();
  const err = await awaitConnect(socket, { ms: 8000 }).then(
    () => assert.fail('connected while the auth-service was down'),
    (e) => e,
  );
  const took = Date.now() - started;
  assert.equal(err.message, 'auth_unavailable');
  assert.equal(socket.connectCount, 0, 'connect must not fire');
  assert.ok(took < 4000, `auth_unavailable took ${took} ms (CheckSession deadline is ~1 s)`);
  // The JS client does not retry a middleware rejection on its own.
  assert.equal(socket.active, false);
  await sleep(300);
  assert.equal(socket.connectCount, 0);

  // Existing sockets are not dropped by the outage.
  assert.equal(live.connected, true);

  await auth.restart();
  // Same ports, same key, same database: the gateway needs no restart.
  const back = await awaitConnect(socket, { ms: 8000, kick: true }).catch((e) => e);
  assert.equal(back instanceof Error ? `connect_error: ${back.message}` : 'connected', 'connected');
  assert.equal(socket.connectCount, 1);
  assert.deepEqual(await ask(socket, 'whoami'), { id: user.id, username: user.username });
  assert.deepEqual(await ask(live, 'whoami'), { id: other.id, username: other.username });
  socket.close();
  live.close();
});

test('the gateway stays ready-or-recovers and serves new logins after the outage', async () => {
  await gw.waitReady(10000);
  const user = await newUser(auth, 'after');
  const s = await connect(gw.url, user.token);
  assert.deepEqual(await ask(s, 'whoami'), { id: user.id, username: user.username });
  s.close();
});
