// Session lifecycle seen from live sockets: logout-all, logout of one
// session, account deletion, token expiry with `auth:expiring` and
// `auth:refresh`, and revocations that happen while the gateway's
// auth-service is down.

import { test, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Stack, newUser, connect, refusal, ask, next, sleep, watchDisconnect, refreshTokens, withTimeout,
} from '../lib/stack.mjs';
import { decode, signEdDSA } from '../lib/jwt.mjs';

const ws = { transports: ['websocket'] };

/** Waits (bounded) until every watcher has seen a disconnect. */
async function allDisconnected(watchers, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (watchers.every((w) => w())) return watchers.map((w) => w());
    await sleep(20);
  }
  return watchers.map((w) => w());
}

describe('revocations on one gateway', () => {
  let stack, auth, gw;

  before(async () => {
    stack = new Stack({ name: 'life' });
    auth = await stack.startAuth();
    gw = await stack.startGateway({ auth });
  });

  test('logout-all closes three live sockets of the user within 1 s', async () => {
    const user = await newUser(auth, 'all');
    const s2 = await user.login();
    const s3 = await user.login();
    const bystander = await newUser(auth, 'by');
    const sockets = await Promise.all([
      connect(gw.url, user.token, ws),
      connect(gw.url, s2.token),
      connect(gw.url, s3.token, ws),
    ]);
    const other = await connect(gw.url, bystander.token, ws);
    const watchers = sockets.map(watchDisconnect);

    const res = await auth.api.logout({ token: user.token, all: true });
    assert.equal(res.status, 204);
    const t0 = Date.now();
    const seen = await allDisconnected(watchers, 3000);
    const delays = seen.map((s) => (s ? s.at - t0 : Infinity));
    assert.ok(delays.every((d) => d <= 1000), `disconnect delays after the logout response: ${delays} ms`);
    assert.deepEqual(seen.map((s) => s.reason), Array(3).fill('io server disconnect'));
    // Every session's token is now refused.
    for (const token of [user.token, s2.token, s3.token]) {
      assert.deepEqual(await refusal(gw.url, token, ws), { message: 'session_revoked', connected: false });
    }
    // Other users are untouched.
    assert.equal(other.connected, true);
    assert.deepEqual(await ask(other, 'whoami'), { id: bystander.id, username: bystander.username });
    other.close();
  });

  test('logout by refresh token closes only that session’s socket', async () => {
    const user = await newUser(auth, 'one');
    const second = await user.login();
    const a = await connect(gw.url, user.token, ws);
    const b = await connect(gw.url, second.token, ws);
    const wa = watchDisconnect(a);
    const wb = watchDisconnect(b);

    const res = await auth.api.logout({ refreshToken: user.refreshToken });
    assert.equal(res.status, 204);
    const t0 = Date.now();
    const [seenA] = await allDisconnected([wa], 3000);
    assert.ok(seenA, 'the logged-out session’s socket is closed');
    assert.ok(seenA.at - t0 <= 1000, `closed after ${seenA.at - t0} ms`);
    await sleep(500);
    assert.equal(wb(), undefined, 'the other session’s socket stays');
    assert.deepEqual(await ask(b, 'whoami'), { id: user.id, username: user.username });
    assert.deepEqual(await refusal(gw.url, user.token, ws), { message: 'session_revoked', connected: false });
    // The other session can still open sockets.
    const b2 = await connect(gw.url, second.token, ws);
    b2.close();
    b.close();
  });

  test('account deletion closes the sockets and the old access token can no longer connect', async () => {
    const user = await newUser(auth, 'del');
    const second = await user.login();
    const a = await connect(gw.url, user.token, ws);
    const b = await connect(gw.url, second.token);
    const watchers = [a, b].map(watchDisconnect);

    const wrong = await auth.api.deleteMe(user.token, 'not-the-password');
    assert.equal(wrong.status, 401);
    await sleep(300);
    assert.equal(a.connected && b.connected, true, 'a failed deletion closes nothing');

    const res = await auth.api.deleteMe(user.token, user.password);
    assert.equal(res.status, 204);
    const t0 = Date.now();
    const seen = await allDisconnected(watchers, 3000);
    assert.ok(seen.every((s) => s && s.at - t0 <= 1000), `delays: ${seen.map((s) => s && s.at - t0)}`);
    for (const token of [user.token, second.token]) {
      assert.deepEqual(await refusal(gw.url, token, ws), { message: 'unknown_user', connected: false });
    }
    assert.equal((await auth.api.login(user.username, user.password)).status, 401);
  });
});

describe('token expiry (ACCESS_TOKEN_TTL=5s, AUTH_EXPIRING_LEAD=2s)', () => {
  let stack, auth, gw;

  before(async () => {
    stack = new Stack({ name: 'ttl' });
    auth = await stack.startAuth({ env: { ACCESS_TOKEN_TTL: '5s' } });
    gw = await stack.startGateway({ auth, env: { AUTH_EXPIRING_LEAD: '2s' } });
  });

  test('auth:expiring arrives before expiry and the socket is disconnected at expiry', async () => {
    const user = await newUser(auth, 'exp');
    const { exp } = decode(user.token).payload;
    const s = await connect(gw.url, user.token, ws);
    const w = watchDisconnect(s);
    const expiring = await next(s, 'auth:expiring', 7000);
    const warnedAt = Date.now();
    assert.deepEqual(expiring, { expires_at: exp });
    assert.ok(warnedAt < exp * 1000, `auth:expiring at ${warnedAt} is before exp ${exp * 1000}`);
    assert.ok(warnedAt >= exp * 1000 - 2000 - 1000, `auth:expiring about 2 s before exp (${exp * 1000 - warnedAt} ms)`);
    assert.equal(s.connected, true);
    const [gone] = await allDisconnected([w], exp * 1000 - Date.now() + 3000);
    assert.ok(gone, 'disconnected at expiry');
    assert.equal(gone.reason, 'io server disconnect');
    const late = gone.at - exp * 1000;
    assert.ok(late >= -1000 && late <= 1500, `disconnected ${late} ms after exp`);
  });

  test('a token just past its exp is refused with token_expired, not served and dropped', async () => {
    // A real user and session; the token is signed with the stack's real key,
    // exactly as the auth-service would sign it, but expired 1 s ago (the
    // moment a client whose socket just expired tries to reconnect).
    const user = await newUser(auth, 'late');
    const real = decode(user.token);
    const now = Math.floor(Date.now() / 1000);
    const late = signEdDSA({ ...real.payload, iat: now - 6, nbf: now - 6, exp: now - 1 }, stack.privateKey, real.header);
    const retry = await refusal(gw.url, late, { ...ws, settleMs: 1000 });
    assert.deepEqual(retry, { message: 'token_expired', connected: false });
  });

  test('auth:refresh with a token from POST /auth/refresh keeps the socket alive past its first expiry', async () => {
    const user = await newUser(auth, 'ref');
    const first = decode(user.token).payload.exp;
    const s = await connect(gw.url, user.token, ws);
    const w = watchDisconnect(s);
    await next(s, 'auth:expiring', 7000);

    // Refusals first: they must not change the socket's expiry or close it.
    const stranger = await newUser(auth, 'str');
    assert.deepEqual(await ask(s, 'auth:refresh', { token: stranger.token }), { error: 'invalid_token' });
    assert.deepEqual(await ask(s, 'auth:refresh', { token: 'garbage' }), { error: 'invalid_token' });
    const otherSession = await user.login();
    assert.deepEqual(await ask(s, 'auth:refresh', { token: otherSession.token }), { error: 'invalid_token' });
    assert.equal(s.connected, true);

    const fresh = await refreshTokens(auth, user.refreshToken);
    const second = decode(fresh.token).payload.exp;
    assert.ok(second > first, `refreshed exp ${second} > ${first}`);
    const ack = await ask(s, 'auth:refresh', { token: fresh.token });
    assert.deepEqual(ack, { ok: true, expires_at: second });
    const secondWarning = next(s, 'auth:expiring', 10000);

    // Past the first expiry (+ margin) the socket is still alive and working.
    await sleep(Math.max(0, first * 1000 - Date.now()) + 1200);
    assert.equal(w(), undefined, 'not disconnected at the old expiry');
    assert.deepEqual(await ask(s, 'whoami'), { id: user.id, username: user.username });
    // It warns again and expires at the new expiry.
    const again = await secondWarning;
    assert.deepEqual(again, { expires_at: second });
    const [gone] = await allDisconnected([w], second * 1000 - Date.now() + 3000);
    assert.ok(gone && Math.abs(gone.at - second * 1000) <= 1500, `expired at the new exp (${gone && gone.at - second * 1000} ms)`);
  });

  test('a refused auth:refresh keeps the old expiry: the socket still expires on time', async () => {
    const user = await newUser(auth, 'keep');
    const exp = decode(user.token).payload.exp;
    const s = await connect(gw.url, user.token, ws);
    const w = watchDisconnect(s);
    assert.deepEqual(await ask(s, 'auth:refresh', { token: `${user.token}x` }), { error: 'invalid_token' });
    const [gone] = await allDisconnected([w], exp * 1000 - Date.now() + 3000);
    assert.ok(gone && gone.at - exp * 1000 <= 1500, 'disconnected at the original expiry');
  });
});

describe('revocations while the gateway’s auth-service is down', () => {
  test('a logout through auth-service B is applied after A (the gateway’s) restarts', async () => {
    const stack = new Stack({ name: 'twoauth' });
    const a = await stack.startAuth({ name: 'auth-A' });
    const b = await stack.startAuth({ name: 'auth-B' });
    assert.equal(await a.kid(), await b.kid(), 'same key, same kid');
    const gw = await stack.startGateway({ auth: a });

    const user = await newUser(b, 'rev');
    const keep = await user.login(b);
    const s = await connect(gw.url, user.token, ws);
    const k = await connect(gw.url, keep.token, ws);
    const w = watchDisconnect(s);
    const wk = watchDisconnect(k);

    await a.stop('SIGKILL');
    const res = await b.api.logout({ refreshToken: user.refreshToken });
    assert.equal(res.status, 204);
    await sleep(1000);
    assert.equal(w(), undefined, 'nothing can close it while A is down');

    await a.restart();
    const t0 = Date.now();
    const [gone] = await allDisconnected([w], 10000);
    assert.ok(gone, 'the revoked session’s socket is closed once A is back');
    assert.ok(gone.at - t0 <= 7000, `closed ${gone.at - t0} ms after A restarted`);
    assert.equal(gone.reason, 'io server disconnect');
    assert.equal(wk(), undefined, 'the other session stays');
    assert.deepEqual(await withTimeout(ask(k, 'whoami'), 3000, 'whoami'), { id: user.id, username: user.username });
    k.close();
  });
});
