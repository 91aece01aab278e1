// Brute-force limits hold across two auth-service processes sharing one
// database: failures counted on one replica stop the guesser on the other,
// while the real user, from another address, still logs in.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, newUser } from '../lib/stack.mjs';

let stack, first, second;

const LIMITS = { RATE_LIMIT_LOGIN_FAILURES: '3/1h', TRUSTED_PROXY_HOPS: '1' };

before(async () => {
  stack = new Stack({ name: 'ratelimit' });
  first = await stack.startAuth({ env: LIMITS });
  second = await stack.startAuth({ env: LIMITS, name: 'auth-ratelimit-second' });
});

async function loginFrom(auth, address, username, password) {
  const response = await fetch(`${auth.httpUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(10000),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
}

test('failed logins counted on two replicas add up, and the real user elsewhere is unaffected', async () => {
  const user = await newUser(first, 'limited');
  for (const replica of [first, second, first]) {
    const r = await loginFrom(replica, '203.0.113.50', user.username, 'wrong-password-1');
    assert.equal(r.status, 401);
  }
  const blocked = await loginFrom(second, '203.0.113.50', user.username, user.password);
  assert.equal(blocked.status, 429);
  assert.equal(blocked.body.code, 'rate_limited');
  assert.ok(Number(blocked.retryAfter) >= 1, `Retry-After ${blocked.retryAfter}`);
  const real = await loginFrom(first, '198.51.100.60', user.username, user.password);
  assert.equal(real.status, 200, 'the real user is never locked out from their own address');
});
