// Standard Webhooks verification, as every Gatehouse hook call is signed:
// `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`
// (possibly several, space-separated, during a secret rotation), with the key
// given as `whsec_<base64>`. Plain node:crypto, no dependency.

import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far `webhook-timestamp` may be from now, in seconds. */
export const TOLERANCE_SECONDS = 5 * 60;

/** The HMAC key of a `whsec_<base64>` secret. */
export function keyOf(secret) {
  if (!secret?.startsWith('whsec_')) throw new Error('HOOK_SECRET must look like whsec_<base64>');
  return Buffer.from(secret.slice('whsec_'.length), 'base64');
}

/**
 * Whether `headers` (lower-case names, as node:http gives them) carry a valid
 * signature of `body` (the raw bytes, before any JSON parsing) made with
 * `key`, and a timestamp within TOLERANCE_SECONDS of `now` (Unix seconds).
 */
export function verify(key, headers, body, now = Math.floor(Date.now() / 1000)) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  return signatures.split(' ').some((candidate) => {
    const [version, value] = candidate.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    // timingSafeEqual needs equal lengths; the length is not secret.
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
