// Faults: the auth-service killed (SIGKILL) while 500 handshakes are in
// flight, and restarted on the same ports. Every handshake either connects
// or is refused with the retryable `auth_unavailable` — never anything the
// token does not deserve — and every refused one connects after the restart
// without restarting the gateway. A logout committed just before the kill is
// not lost: the revoked session's socket is closed and its token refused.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, newUser, connect, ask, sleep, socketFor, awaitConnect, disconnected } from '../lib/stack.mjs';

const USERS = 50;
const DEVICES = 10;
let stack, auth, gw, users;

before(async () => {
  stack = new Stack({ name: 'auth_kill' });
  auth = await stack.startAuth();
  gw = await stack.startGateway({ auth, env: { MAX_CONNECTIONS_PER_USER: String(DEVICES + 1), SESSION_CACHE_TTL: '100ms' } });
  users = [];
  for (let i = 0; i < USERS; i += 10) users.push(...(await Promise.all(Array.from({ length: 10 }, () => newUser(auth, 'k')))));
});

/** One handshake: 'connected' (socket kept) or the connect_error code. */
async function handshake(token, onConnected = () => {}) {
  const s = socketFor(gw.url, token, { transports: ['websocket'], reconnection: false });
  try {
    await awaitConnect(s, { ms: 20000 });
    onConnected();
    return { outcome: 'connected', socket: s, token };
  } catch (e) {
    s.close();
    return { outcome: e.message, token };
  }
}

test('500 handshakes across an auth-service SIGKILL: connected or auth_unavailable, then all connect', async () => {
  // A victim logged out right before the kill: the revocation is committed
  // (204) before the service dies.
  const victim = await newUser(auth, 'victim');
  const victimSocket = await connect(gw.url, victim.token, { transports: ['websocket'] });
  const closed = disconnected(victimSocket, 20000);
  const logout = await fetch(`${auth.httpUrl}/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${victim.token}`, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(logout.status, 204);

  const tokens = users.flatMap((u) => Array.from({ length: DEVICES }, () => u.token));
  // Kill once the first handshakes have gone through, so the kill lands in
  // the middle of the burst (bounded wait).
  let connected = 0;
  const attempts = tokens.map((t) => handshake(t, () => (connected += 1)));
  const deadline = Date.now() + 10000;
  while (connected < 50 && Date.now() < deadline) await sleep(5);
  await auth.child.stop('SIGKILL');
  const results = await Promise.all(attempts);
  const outcomes = {};
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  assert.deepEqual(Object.keys(outcomes).filter((o) => o !== 'connected' && o !== 'auth_unavailable'), [], JSON.stringify(outcomes));
  assert.ok(outcomes.connected >= 50 && outcomes.auth_unavailable > 0, `the kill landed mid-burst: ${JSON.stringify(outcomes)}`);

  await auth.restart();
  await gw.waitReady(30000);
  // The refused ones now connect, with no gateway restart.
  const retried = await Promise.all(results.filter((r) => r.outcome !== 'connected').map((r) => handshake(r.token)));
  assert.ok(retried.every((r) => r.outcome === 'connected'), JSON.stringify(retried.map((r) => r.outcome)));
  const live = [...results, ...retried].filter((r) => r.socket);
  assert.equal(live.length, USERS * DEVICES);
  const probe = live[0].socket;
  assert.ok((await ask(probe, 'whoami')).id);

  // No revocation lost: the victim's socket was closed, and its token is refused.
  await closed;
  const again = await handshake(victim.token);
  assert.equal(again.outcome, 'session_revoked');
  live.forEach((r) => r.socket.close());
  console.log(JSON.stringify({ during: outcomes, retried: retried.length }));
});
