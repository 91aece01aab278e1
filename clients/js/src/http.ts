// The auth-service HTTP API (README, "HTTP API (auth-service)") over `fetch`.
// Every failure becomes a `GatehouseError` with the server's `code`.

import { GatehouseError } from './errors.js';

/** What `/auth/login` and `/auth/refresh` return. */
export interface TokenResponse {
  /** Access token (JWT). */
  token: string;
  /** Opaque refresh token; spent by its first use. */
  refresh_token: string;
  /** Access-token lifetime in seconds. */
  expires_in: number;
}

/** A user as `/auth/register` and `/auth/me` describe it. */
export interface User {
  /** User id. */
  id: string;
  /** Username. */
  username: string;
  /** Email address. */
  email: string;
  /** Creation time (ISO 8601), from `/auth/me` only. */
  created_at?: string;
}

/** Minimal JSON client for the auth-service. */
export class AuthHttp {
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  /** A client for the auth-service at `baseUrl`. */
  constructor(baseUrl: string, fetchImpl: typeof fetch, timeoutMs: number) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#fetch = fetchImpl;
    this.#timeoutMs = timeoutMs;
  }

  /** Sends one request; resolves the parsed JSON body (undefined for 204). */
  async call<T>(method: string, path: string, body?: unknown, bearer?: string): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    let res: Response;
    try {
      res = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch {
      throw new GatehouseError('network_error', 'the auth-service could not be reached');
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const err = (parsed ?? {}) as { code?: unknown; message?: unknown };
      const code = typeof err.code === 'string' ? err.code : res.status >= 500 ? 'unavailable' : `http_${res.status}`;
      const message = typeof err.message === 'string' ? err.message : `HTTP ${res.status}`;
      throw new GatehouseError(code, message, res.status);
    }
    return parsed as T;
  }
}
