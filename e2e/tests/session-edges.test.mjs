// The edges of a session and the trust between the services: a stolen
// refresh token is ended by its owner's logout, no socket outlives its
// session's absolute expiry, and a gateway with the wrong gRPC credentials
// fails closed and says why.

import { test, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Stack, newUser, connect, refusal, ask, sleep, watchDisconnect, refreshTokens,
} from '../lib/stack.mjs';
import { decode } from '../lib/jwt.mjs';

const ws = { transports: ['websocket'] };

/** Waits (bounded) until `seen()` returns something. */
async function until(seen, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !seen()) await sleep(20);
  return seen();
}

describe('a stolen refresh token', () => {
  let stack, auth, gw;
  before(async () => {
    stack = new Stack({ name: 'stolen' });
    auth = await stack.startAuth();
    gw = await stack.startGateway({ auth });
  });

  test("the owner's logout with its spent token closes the thief's socket within 1 s", async () => {
    const victim = await newUser(auth, 'victim');
    // The thief refreshes first with a copy and connects with the new token.
    const thief = await refreshTokens(auth, victim.refreshToken);
    const thiefSocket = await connect(gw.url, thief.token, ws);
    const gone = watchDisconnect(thiefSocket);

    const res = await auth.api.logout({ refreshToken: victim.refreshToken });
    assert.equal(res.status, 204, JSON.stringify(res.body));
    const t0 = Date.now();
    const seen = await until(gone, 3000);
    assert.ok(seen, 'the thief socket stayed open');
    assert.ok(seen.at - t0 <= 1000, `closed ${seen.at - t0} ms after the logout`);
    assert.equal((await auth.api.refresh(thief.refreshToken)).status, 401);
    assert.equal((await auth.api.me(thief.token)).status, 401);
    assert.deepEqual(await refusal(gw.url, thief.token, ws), { message: 'session_revoked', connected: false });
  });
});

describe('absolute session expiry', () => {
  let stack, auth, gw;
  before(async () => {
    stack = new Stack({ name: 'absolute' });
    auth = await stack.startAuth({ env: { ACCESS_TOKEN_TTL: '4s', REFRESH_TOKEN_TTL: '5s' } });
    gw = await stack.startGateway({ auth, env: { AUTH_EXPIRING_LEAD: '1s' } });
  });

  test('a refreshed token ends with the session and the socket closes then', async () => {
    const user = await newUser(auth, 'abs');
    const sessionEnd = decode(user.token).payload.exp + 1; // login exp = now + 4 s; session ends ~1 s later
    const socket = await connect(gw.url, user.token, ws);
    const gone = watchDisconnect(socket);
    await sleep(2500);
    const fresh = await refreshTokens(auth, user.refreshToken);
    const exp = decode(fresh.token).payload.exp;
    // Uncapped it would be now + 4 s (about 1.5 s past the session's end).
    assert.ok(exp <= sessionEnd, `token exp ${exp} is past the session's end ${sessionEnd}`);
    const ack = await ask(socket, 'auth:refresh', { token: fresh.token });
    assert.deepEqual(ack, { ok: true, expires_at: exp });

    const seen = await until(gone, 6000);
    assert.ok(seen, 'the socket outlived its session');
    assert.ok(seen.at <= exp * 1000 + 1000, `closed at ${seen.at}, token exp ${exp * 1000}`);
    assert.equal(seen.reason, 'io server disconnect');
    // `exp` is whole seconds, rounded down from the session's end: within
    // a second the session itself is over.
    await sleep(1100);
    assert.equal((await auth.api.refresh(fresh.refreshToken)).status, 401);
  });
});

describe('gRPC credentials between the services', () => {
  let stack, auth;
  before(async () => {
    stack = new Stack({ name: 'grpc-trust' });
    auth = await stack.startAuth();
  });

  test('a gateway with the wrong token fails closed and says why in its readiness and log', async () => {
    const gw = await stack.startGateway({
      auth,
      ready: false,
      env: { AUTH_GRPC_TOKEN: 'wrong-token-0123456789abcdef0123456789abcdef' },
    });
    let body;
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      const r = await fetch(`${gw.url}/readyz`);
      body = { status: r.status, ...(await r.json()) };
      if (body.reason === 'auth_grpc_credentials_refused') break;
      await sleep(100);
    }
    assert.deepEqual(body, { status: 503, ready: false, reason: 'auth_grpc_credentials_refused' });
    assert.ok(
      gw.child.lines.some((l) => l.includes("refused this gateway's gRPC credentials")),
      'the log names the cause',
    );
    assert.ok(!gw.child.lines.some((l) => l.includes('wrong-token-0123')), 'the token is never logged');
    // Once the JWKS is loaded, a valid token is refused retryably, never admitted.
    const user = await newUser(auth, 'grpc');
    await sleep(500);
    assert.deepEqual(await refusal(gw.url, user.token, ws), { message: 'auth_unavailable', connected: false });
  });

  test('a gateway with the right token becomes ready', async () => {
    const gw = await stack.startGateway({ auth });
    const r = await fetch(`${gw.url}/readyz`);
    assert.deepEqual({ status: r.status, ...(await r.json()) }, { status: 200, ready: true });
  });
});
