// The tokens of one session and the one rule that keeps it alive: a single
// refresh in flight at a time. Refresh tokens are single-use and a reused
// one revokes the session, so every caller that needs a fresh access token
// shares the same `/auth/refresh` request.

import { FINAL_CODES, GatehouseError } from './errors.js';
import type { AuthHttp, TokenResponse } from './http.js';
import { readClaims, type TokenClaims } from './token.js';

/** The tokens of a session; persist them to resume after a page reload. */
export interface Session {
  /** Access token (JWT). */
  token: string;
  /** Refresh token (opaque, single use). */
  refreshToken: string;
}

/** A session with the access token's claims read. */
export interface LiveSession extends Session {
  /** Claims of `token` (read, not verified). */
  claims: TokenClaims;
}

/** Holds the current tokens and refreshes them, single-flight. */
export class TokenSession {
  readonly #http: AuthHttp;
  readonly #onFinal: (code: string) => void;
  #live: LiveSession | null = null;
  #refreshing: Promise<string> | undefined;
  /** Bumped whenever the tokens are replaced or cleared; a refresh that started before is void. */
  #generation = 0;

  /** `onFinal(code)` is called when a refresh is refused for good. */
  constructor(http: AuthHttp, onFinal: (code: string) => void) {
    this.#http = http;
    this.#onFinal = onFinal;
  }

  /** The current tokens and claims, or null when logged out. */
  get current(): LiveSession | null {
    return this.#live;
  }

  /** Replaces the tokens (after a login, or a saved session). */
  set(token: string, refreshToken: string): void {
    this.#generation += 1;
    this.#live = { token, refreshToken, claims: readClaims(token) };
  }

  /** Forgets the tokens. */
  clear(): void {
    this.#generation += 1;
    this.#live = null;
  }

  /** Resolves once no refresh is in flight. */
  async settled(): Promise<void> {
    await this.#refreshing?.catch(() => undefined);
  }

  /** A valid access token, refreshed first when it is about to expire. */
  async accessToken(): Promise<string> {
    const s = this.#live;
    if (!s) throw new GatehouseError('not_logged_in', 'log in first');
    const margin = Math.min(10, (s.claims.exp - s.claims.iat) / 4);
    if (Date.now() / 1000 < s.claims.exp - margin) return s.token;
    return this.refresh();
  }

  /** Exchanges the refresh token for new tokens; concurrent callers share one request. */
  refresh(): Promise<string> {
    this.#refreshing ??= this.#doRefresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #doRefresh(): Promise<string> {
    const s = this.#live;
    if (!s) throw new GatehouseError('not_logged_in', 'log in first');
    const generation = this.#generation;
    try {
      const r = await this.#http.call<TokenResponse>('POST', '/auth/refresh', { refresh_token: s.refreshToken });
      if (generation !== this.#generation) throw new GatehouseError('closed', 'the session ended during the refresh');
      this.set(r.token, r.refresh_token);
      return r.token;
    } catch (e) {
      if (e instanceof GatehouseError && generation === this.#generation && (FINAL_CODES.has(e.code) || e.status === 401)) {
        this.#onFinal(e.code);
      }
      throw e;
    }
  }
}
