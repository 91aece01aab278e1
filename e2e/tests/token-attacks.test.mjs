// Handshake attacks: every forged, malformed or stale token ends in a
// `connect_error` with the stable code, and `connect` never fires.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Stack, newUser, refusal, connect, ask } from '../lib/stack.mjs';
import { claims, decode, signEdDSA, signHS256, unsigned, publicKeyForms, b64url } from '../lib/jwt.mjs';

let stack, auth, gw, user, kid;

before(async () => {
  stack = new Stack({ name: 'attacks' });
  auth = await stack.startAuth();
  gw = await stack.startGateway({ auth });
  user = await newUser(auth, 'victim');
  kid = await auth.kid();
  // Every attack below is only meaningful if the forging helpers are right:
  // a token forged with the real key and kid must be accepted. Checked here,
  // before any test, so no test depends on another having run first.
  const forged = signEdDSA(realClaims(), stack.privateKey, { kid });
  const f = await connect(gw.url, forged, { transports: ['websocket'] });
  f.close();
});

/** Claims of a token the real auth-service would issue to `user` right now. */
function realClaims(over = {}) {
  const { payload } = decode(user.token);
  return claims({ sub: payload.sub, sid: payload.sid, username: payload.username, ...over });
}

async function assertRefused(auth, expected, opts = {}) {
  const { message, connected } = await refusal(gw.url, undefined, { auth, transports: ['websocket'], ...opts });
  assert.equal(message, expected);
  assert.equal(connected, false, 'connect must never fire');
}

const refusedToken = (token, expected = 'invalid_token') => assertRefused({ token }, expected);

test('the real token connects (control)', async () => {
  const s = await connect(gw.url, user.token, { transports: ['websocket'] });
  assert.deepEqual(await ask(s, 'whoami'), { id: user.id, username: user.username });
  s.close();
});

test('no auth at all, an empty auth object, an empty token', async () => {
  await assertRefused(undefined, 'invalid_token');
  await assertRefused({}, 'invalid_token');
  await refusedToken('');
});

test('garbage and non-string tokens', async () => {
  await refusedToken('garbage');
  await refusedToken('a.b.c');
  await refusedToken('x'.repeat(20_000));
  await assertRefused({ token: 12345 }, 'invalid_token');
  await assertRefused({ token: { alg: 'none' } }, 'invalid_token');
  await assertRefused({ token: [user.token] }, 'invalid_token');
  await assertRefused({ token: null }, 'invalid_token');
});

test('a tampered signature', async () => {
  const [h, p, s] = user.token.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[0] ^= 0x01;
  await refusedToken(`${h}.${p}.${b64url(sig)}`);
  await refusedToken(`${h}.${p}.`);
  await refusedToken(`${h}.${p}`);
});

test('a tampered payload under the original signature', async () => {
  const [h, , s] = user.token.split('.');
  const { payload } = decode(user.token);
  const evil = b64url(JSON.stringify({ ...payload, username: 'admin', exp: payload.exp + 3600 }));
  await refusedToken(`${h}.${evil}.${s}`);
});

test('alg none', async () => {
  await refusedToken(unsigned(realClaims(), { kid }));
  await refusedToken(unsigned(realClaims(), { kid, alg: 'None' }));
});

test('HS256 signed with the public key bytes as the secret (algorithm confusion)', async () => {
  const forms = publicKeyForms(stack.privateKey);
  for (const secret of [forms.pem, forms.der, forms.raw, forms.x]) {
    await refusedToken(signHS256(realClaims(), secret, { kid }));
  }
});

test('a different key under the real kid, and an unknown kid', async () => {
  const { privateKey: other } = generateKeyPairSync('ed25519');
  await refusedToken(signEdDSA(realClaims(), other, { kid }));
  await refusedToken(signEdDSA(realClaims(), stack.privateKey, { kid: 'not-a-known-kid' }));
  await refusedToken(signEdDSA(realClaims(), stack.privateKey, { kid: undefined }));
});

test('wrong iss, wrong aud, wrong typ', async () => {
  await refusedToken(signEdDSA(realClaims({ iss: 'evil' }), stack.privateKey, { kid }));
  await refusedToken(signEdDSA(realClaims({ aud: 'someone-else' }), stack.privateKey, { kid }));
  await refusedToken(signEdDSA(realClaims(), stack.privateKey, { kid, typ: 'JWT' }));
  await refusedToken(signEdDSA(realClaims(), stack.privateKey, { kid, typ: undefined }));
});

test('an expired token is token_expired', async () => {
  const now = Math.floor(Date.now() / 1000);
  const expired = signEdDSA(realClaims({ iat: now - 600, nbf: now - 600, exp: now - 60 }), stack.privateKey, { kid });
  await refusedToken(expired, 'token_expired');
});

test('a token not valid before a future nbf', async () => {
  const now = Math.floor(Date.now() / 1000);
  await refusedToken(signEdDSA(realClaims({ nbf: now + 600, iat: now, exp: now + 1200 }), stack.privateKey, { kid }));
});

test('a token without sub', async () => {
  const c = realClaims();
  delete c.sub;
  await refusedToken(signEdDSA(c, stack.privateKey, { kid }));
});

test('a validly signed token for a user that does not exist is unknown_user', async () => {
  const forged = signEdDSA(claims({ sub: randomUUID(), sid: randomUUID(), username: 'ghost' }), stack.privateKey, { kid });
  await refusedToken(forged, 'unknown_user');
});

test('a validly signed token for a real user but an unknown session is session_revoked', async () => {
  const forged = signEdDSA(realClaims({ sid: randomUUID() }), stack.privateKey, { kid });
  await refusedToken(forged, 'session_revoked');
});

test('the gateway still serves real users right after a burst of attacks', async () => {
  // Its own burst, so this holds whatever else ran before it.
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => refusedToken(i % 2 ? unsigned(realClaims(), { kid }) : `garbage-${i}`)),
  );
  const s = await connect(gw.url, user.token, { transports: ['websocket'] });
  assert.deepEqual(await ask(s, 'whoami'), { id: user.id, username: user.username });
  s.close();
});
