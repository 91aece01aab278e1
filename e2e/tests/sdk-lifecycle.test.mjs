// The client SDK (`@gatehouse/client`) against the real stack with
// five-second access tokens, through the demo's one-origin server (which
// also counts the `/auth/refresh` requests the SDK really makes): in-band
// refresh across expiries, one refresh for many concurrent callers,
// refresh-then-reconnect on `token_expired`, recovery from an auth-service
// outage, and `unauthorized` (never a loop) when the session is over.

import { test, before, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, sleep } from '../lib/stack.mjs';
import { startFront, sdkClient, waitForState, sdkUser, closeClients, GatehouseError } from '../lib/sdk.mjs';

let stack, auth, gw, front;

before(async () => {
  stack = new Stack({ name: 'sdk' });
  // The gateway keeps its default AUTH_EXPIRING_LEAD (60 s), longer than the
  // token lifetime: `auth:expiring` arrives at once, and the SDK must still
  // not refresh in a storm.
  auth = await stack.startAuth({ env: { ACCESS_TOKEN_TTL: '5s' } });
  gw = await stack.startGateway({ auth });
});

// A fresh counting front per test, and no client left running into the
// next test, so every count is this test's clients' own.
beforeEach(async () => {
  front = await startFront(auth, gw);
});
afterEach(async () => {
  closeClients();
  await front.close();
});

/** A client logged in as a fresh user, socket connected. */
async function loggedIn(opts = {}) {
  const gh = sdkClient(front, opts);
  const user = await sdkUser(gh, stack);
  await gh.login({ username: user.username, password: user.password });
  if (opts.autoConnect !== false) await waitForState(gh, 'connected');
  return { gh, user };
}

const expiryOf = (gh) => JSON.parse(Buffer.from(gh.session.token.split('.')[1], 'base64url')).exp;

async function untilExpired(gh) {
  const ms = expiryOf(gh) * 1000 - Date.now() + 1100;
  if (ms > 0) await sleep(ms);
}

test('a socket stays connected across three expiries by in-band refresh', async () => {
  const { gh, user } = await loggedIn();
  const id = gh.socket.id;
  const firstExp = expiryOf(gh);
  let disconnects = 0;
  gh.socket.on('disconnect', () => (disconnects += 1));
  const before = front.refreshes();
  // Three five-second lifetimes and a margin: the gateway disconnects any
  // socket whose token expires un-refreshed.
  await sleep(16500);
  assert.equal(disconnects, 0, `states: ${gh.states.join(' → ')}`);
  assert.equal(gh.socket.connected, true);
  assert.equal(gh.socket.id, id, 'the same socket, never reconnected');
  assert.ok(expiryOf(gh) >= firstExp + 15, 'the token moved past three expiries');
  const made = front.refreshes() - before;
  // One refresh per half-lifetime at most: no storm although the lead exceeds the lifetime.
  assert.ok(made >= 3 && made <= 8, `${made} refreshes in 16.5 s`);
  assert.deepEqual(await gh.whoami(), { id: user.id, username: user.username });
});

test('ten concurrent calls that need a refresh cause exactly one /auth/refresh', async () => {
  const { gh, user } = await loggedIn({ autoConnect: false });
  await untilExpired(gh);
  const before = front.refreshes();
  const answers = await Promise.all(Array.from({ length: 10 }, () => gh.me()));
  assert.equal(front.refreshes() - before, 1);
  for (const me of answers) assert.equal(me.id, user.id);
  // A second refresh with the spent token would have revoked the session.
  assert.equal((await gh.me()).username, user.username);
});

test('token_expired at the handshake → one refresh, then connected', async () => {
  const { gh, user } = await loggedIn({ autoConnect: false });
  await untilExpired(gh);
  const before = front.refreshes();
  gh.connect();
  await waitForState(gh, 'connected');
  assert.equal(front.refreshes() - before, 1);
  assert.ok(gh.states.includes('refreshing:token_expired'), gh.states.join(' → '));
  assert.deepEqual(await gh.whoami(), { id: user.id, username: user.username });
});

test('auth-service stopped and restarted → reconnecting, then connected with no user action; rooms rejoined', async () => {
  const { gh } = await loggedIn();
  const room = `public:${stack.uniqueName('r')}`;
  await gh.joinRoom(room);
  gh.states.length = 0;
  await auth.stop('SIGKILL');
  // The token expires during the outage; refreshes fail; the gateway closes the socket.
  await waitForState(gh, 'reconnecting', 15000);
  await sleep(1500);
  assert.notEqual(gh.state, 'connected');
  await auth.restart();
  await waitForState(gh, 'connected', 15000);
  assert.ok(gh.states.some((x) => x.startsWith('reconnecting')), gh.states.join(' → '));
  assert.ok(!gh.states.includes('unauthorized'), gh.states.join(' → '));
  // The SDK joined the room again on the new socket: another user's message arrives.
  const { gh: other } = await loggedIn();
  await other.joinRoom(room);
  const got = new Promise((res) => gh.socket.on('message', res));
  await sleep(200); // the rejoin ack may still be in flight
  await other.send(room, 'after the outage');
  assert.equal((await got).body, 'after the outage');
});

test('auth_unavailable at the handshake is retried with backoff until the auth-service is back', async () => {
  const { gh } = await loggedIn({ autoConnect: false });
  const refused = [];
  gh.socket.on('connect_error', (e) => refused.push(e.message));
  await auth.stop('SIGKILL');
  gh.connect();
  await sleep(2500);
  assert.ok(refused.length >= 2, `retried: ${refused.join(',')}`);
  assert.ok(refused.every((c) => c === 'auth_unavailable'), refused.join(','));
  // Backoff: not a tight loop (200 ms initial, 1 s cap).
  assert.ok(refused.length <= 12, `${refused.length} attempts in 2.5 s`);
  assert.equal(gh.state, 'reconnecting');
  await auth.restart();
  await waitForState(gh, 'connected', 15000);
});

test('logout-all from another device → unauthorized, and it stays so', async () => {
  const { gh, user } = await loggedIn();
  const other = sdkClient(front);
  await other.login({ username: user.username, password: user.password });
  await other.logout({ all: true });
  await waitForState(gh, 'unauthorized', 5000);
  assert.equal(gh.socket.connected, false);
  assert.equal(gh.session, null);
  const after = front.refreshes();
  await sleep(3000);
  assert.equal(front.refreshes(), after, 'no refresh after unauthorized');
  assert.equal(gh.state, 'unauthorized');
  assert.equal(gh.states.filter((s) => s.startsWith('unauthorized')).length, 1);
});

test('a refused refresh → unauthorized, never a loop', async () => {
  const { gh } = await loggedIn();
  // Someone else spends the refresh token (directly, not through the counting front).
  assert.equal((await auth.api.refresh(gh.session.refreshToken)).status, 200);
  const before = front.refreshes();
  await waitForState(gh, 'unauthorized', 8000);
  assert.match(gh.states.at(-1), /^unauthorized:invalid_refresh_token$/);
  await sleep(4000);
  assert.equal(front.refreshes() - before, 1, 'exactly one refused refresh');
  assert.equal(gh.socket.connected, false);
  assert.equal(gh.state, 'unauthorized');
});

test('logout closes the socket and revokes the session', async () => {
  const { gh } = await loggedIn();
  const { refreshToken } = gh.session;
  await gh.logout();
  assert.equal(gh.state, 'closed');
  assert.equal(gh.socket.connected, false);
  assert.equal((await auth.api.refresh(refreshToken)).status, 401);
});

test('errors carry the stable code: HTTP and acks', async () => {
  const gh = sdkClient(front);
  const user = await sdkUser(gh, stack);
  await assert.rejects(gh.login({ username: user.username, password: 'wrong-password-1' }), (e) => {
    assert.ok(e instanceof GatehouseError);
    assert.equal(e.code, 'invalid_credentials');
    assert.equal(e.status, 401);
    return true;
  });
  await assert.rejects(gh.register({ username: user.username, email: user.email, password: user.password }), { code: 'account_exists' });
  await gh.login({ username: user.username, password: user.password });
  await waitForState(gh, 'connected');
  await assert.rejects(gh.send('public:never-joined', 'hi'), { code: 'not_in_room' });
  await assert.rejects(gh.joinRoom('private:nope'), { code: 'forbidden' });
  await assert.rejects(gh.deleteAccount('wrong-password-1'), { code: 'invalid_credentials' });
  assert.equal(gh.state, 'connected', 'a refused deletion keeps the session');
  await gh.deleteAccount(user.password);
  assert.equal(gh.state, 'closed');
  await sleep(500);
  assert.equal(gh.state, 'closed', 'the deletion revokes the session without an unauthorized detour');
});
