// Reading (not verifying) the claims of an access token, to schedule
// refreshes and name the user. The gateway and auth-service verify tokens;
// the client only needs `exp`, `iat`, `sub` and `username`.

/** The claims the SDK reads from an access token. */
export interface TokenClaims {
  /** User id. */
  sub: string;
  /** Username at issue time. */
  username: string;
  /** Issued at, Unix seconds. */
  iat: number;
  /** Expiry, Unix seconds. */
  exp: number;
}

function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The payload claims of a JWT; throws on a token that is not a JWT. */
export function readClaims(token: string): TokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWT');
  const c = JSON.parse(base64UrlDecode(parts[1]!)) as Partial<TokenClaims>;
  if (typeof c.exp !== 'number' || typeof c.iat !== 'number' || typeof c.sub !== 'string') {
    throw new Error('JWT without exp, iat or sub');
  }
  return { sub: c.sub, username: String(c.username ?? ''), iat: c.iat, exp: c.exp };
}
