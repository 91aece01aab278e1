// The auth-service HTTP API (fetch) and user/session helpers.

import { randomBytes } from 'node:crypto';

/** The auth-service HTTP API; every call returns {status, body}. */
export class AuthApi {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
  }

  async call(method, path, { body, token } = {}) {
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10000),
    });
    const text = await r.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: r.status, body: parsed };
  }

  register(username, email, password) {
    return this.call('POST', '/auth/register', { body: { username, email, password } });
  }

  login(username, password) {
    return this.call('POST', '/auth/login', { body: { username, password } });
  }

  refresh(refreshToken) {
    return this.call('POST', '/auth/refresh', { body: { refresh_token: refreshToken } });
  }

  /** By refresh token: logout({refreshToken}); all sessions: logout({token, all:true}). */
  logout({ refreshToken, token, all } = {}) {
    const body = refreshToken !== undefined ? { refresh_token: refreshToken } : all ? { all: true } : {};
    return this.call('POST', '/auth/logout', { body, token });
  }

  me(token) {
    return this.call('GET', '/auth/me', { token });
  }

  deleteMe(token, password) {
    return this.call('DELETE', '/auth/me', { body: { password }, token });
  }

  jwks() {
    return this.call('GET', '/.well-known/jwks.json');
  }
}

function expectStatus(res, status, what) {
  if (res.status !== status) {
    throw new Error(`${what}: expected HTTP ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/**
 * Registers a fresh user and logs in once. Returns
 * {id, username, email, password, token, refreshToken, login()}.
 */
export async function newUser(auth, prefix = 'u') {
  const username = auth.stack.uniqueName(prefix);
  const email = `${username.toLowerCase()}@example.test`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const reg = expectStatus(await auth.api.register(username, email, password), 201, 'register');
  const user = { id: reg.user.id, username, email, password };
  user.login = async (via = auth) => {
    const body = expectStatus(await via.api.login(username, password), 200, 'login');
    return { token: body.token, refreshToken: body.refresh_token, expiresIn: body.expires_in };
  };
  const s = await user.login();
  user.token = s.token;
  user.refreshToken = s.refreshToken;
  return user;
}

/** POST /auth/refresh, asserting 200; returns {token, refreshToken}. */
export async function refreshTokens(auth, refreshToken) {
  const body = expectStatus(await auth.api.refresh(refreshToken), 200, 'refresh');
  return { token: body.token, refreshToken: body.refresh_token };
}
