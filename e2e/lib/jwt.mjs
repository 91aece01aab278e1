// JWT forging for attack tests: EdDSA with any Ed25519 key (the stack's real
// key included), HS256 with any secret, and `alg: none`.

import { createHmac, createPublicKey, randomUUID, sign } from 'node:crypto';

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
const part = (obj) => b64url(JSON.stringify(obj));

/** {header, payload, signature} of a compact JWT (no verification). */
export function decode(token) {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signature: s,
  };
}

/** Claims of a valid-looking access token for `sub`/`sid`, overridable. */
export function claims({ sub, sid, username = 'someone', ttl = 300, ...over } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'gatehouse',
    aud: 'gatehouse',
    sub,
    sid,
    iat: now,
    nbf: now,
    exp: now + ttl,
    jti: randomUUID(),
    username,
    ...over,
  };
}

/** Signs `payload` with an Ed25519 private KeyObject (header overridable). */
export function signEdDSA(payload, privateKey, header = {}) {
  const h = { alg: 'EdDSA', typ: 'at+jwt', ...header };
  const input = `${part(h)}.${part(payload)}`;
  const sig = sign(null, Buffer.from(input), privateKey);
  return `${input}.${b64url(sig)}`;
}

/** Signs `payload` with HMAC-SHA256 under `secret` (a string or Buffer). */
export function signHS256(payload, secret, header = {}) {
  const h = { alg: 'HS256', typ: 'at+jwt', ...header };
  const input = `${part(h)}.${part(payload)}`;
  return `${input}.${b64url(createHmac('sha256', secret).update(input).digest())}`;
}

/** An unsigned `alg: none` token (empty signature part). */
export function unsigned(payload, header = {}) {
  return `${part({ alg: 'none', typ: 'at+jwt', ...header })}.${part(payload)}.`;
}

/** Public key bytes in the forms an alg-confusion attacker would try. */
export function publicKeyForms(privateOrPublicKey) {
  const pub = createPublicKey(privateOrPublicKey);
  const pem = pub.export({ type: 'spki', format: 'pem' });
  const der = pub.export({ type: 'spki', format: 'der' });
  const jwk = pub.export({ format: 'jwk' });
  return { pem, der, raw: Buffer.from(jwk.x, 'base64url'), x: jwk.x };
}
