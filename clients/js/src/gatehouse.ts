// `Gatehouse`: one user's session (tokens) and one authenticated socket,
// with the token lifecycle of clients/js/README.md: a single refresh in
// flight at a time, in-band refresh on `auth:expiring`, refresh-then-
// reconnect on `token_expired` or a server-side disconnect, jittered
// backoff on retryable failures, and `unauthorized` (never a loop) when the
// session is over.

import { io, type Socket } from 'socket.io-client';
import { backoffDelay } from './backoff.js';
import { FINAL_CODES, GatehouseError } from './errors.js';
import { request, type JoinAck, type Member, type MembersAck } from './events.js';
import { AuthHttp, type TokenResponse, type User } from './http.js';
import type { ConnectionState, GatehouseOptions, StateInfo } from './options.js';
import { TokenSession, type Session } from './session.js';

type StateListener = (state: ConnectionState, info: StateInfo) => void;

/** A Gatehouse client: see `createGatehouse`. */
export class Gatehouse {
  /** The socket.io-client socket, authenticated with the current token. */
  readonly socket: Socket;
  readonly #http: AuthHttp;
  readonly #opts: GatehouseOptions;
  readonly #listeners = new Set<StateListener>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #rooms = new Set<string>();
  readonly #tokens: TokenSession;
  #state: ConnectionState = 'closed';
  /** Bumped whenever the session or connection is ended; stale async work checks it. */
  #epoch = 0;
  #recovering = -1;
  #attempt = 0;
  #connectedOnce = false;
  /** A call that revokes this session server-side (account deletion) in flight. */
  #selfRevoking: Promise<unknown> | undefined;

  /** See `createGatehouse`. */
  constructor(opts: GatehouseOptions) {
    this.#opts = opts;
    this.#http = new AuthHttp(opts.authUrl, opts.fetch ?? globalThis.fetch.bind(globalThis), opts.httpTimeoutMs ?? 10_000);
    this.socket = io(opts.gatewayUrl, {
      forceNew: true,
      ...opts.socketOptions,
      autoConnect: false,
      // A callback, so every (re)connect sends the token current at that moment.
      auth: (cb) => cb({ token: this.#tokens.current?.token ?? '' }),
    });
    this.#tokens = new TokenSession(this.#http, (code) => this.#unauthorized(code));
    if (opts.session) this.#tokens.set(opts.session.token, opts.session.refreshToken);
    this.#watchSocket();
  }

  /** The current connection state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The current tokens, or null when logged out. */
  get session(): Session | null {
    const s = this.#tokens.current;
    return s && { token: s.token, refreshToken: s.refreshToken };
  }

  /** The logged-in user as named by the access token, or null. */
  get user(): Member | null {
    const c = this.#tokens.current?.claims;
    return c ? { id: c.sub, username: c.username } : null;
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  on(event: 'state', fn: StateListener): () => void {
    if (event !== 'state') throw new TypeError(`unknown event ${String(event)}`);
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Creates an account (does not log in). */
  register(input: { username: string; email: string; password: string }): Promise<User> {
    return this.#http.call<{ user: User }>('POST', '/auth/register', input).then((r) => r.user);
  }

  /** Logs in (username or email) and, unless `autoConnect: false`, opens the socket. */
  async login(input: { username: string; password: string }): Promise<Member> {
    const r = await this.#http.call<TokenResponse>('POST', '/auth/login', input);
    this.#end('closed');
    this.#tokens.set(r.token, r.refresh_token);
    if (this.#opts.autoConnect ?? true) this.connect();
    return this.user!;
  }

  /** Opens the socket with the current session. */
  connect(): void {
    if (!this.#tokens.current) throw new GatehouseError('not_logged_in', 'log in first');
    if (this.socket.connected || this.socket.active) return;
    this.#setState(this.#connectedOnce ? 'reconnecting' : 'connecting');
    this.socket.connect();
  }

  /** Closes the socket but keeps the session (`connect()` opens it again). */
  disconnect(): void {
    this.#stop();
    this.#setState('closed');
  }

  /**
   * Logs out this session, or every session of the user with `all`; closes
   * the socket. The tokens are forgotten locally even if the call fails.
   */
  async logout({ all = false }: { all?: boolean } = {}): Promise<void> {
    await this.#tokens.settled();
    if (!this.#tokens.current) return this.#end('closed');
    const bearer = all ? await this.accessToken() : undefined;
    const s = this.#tokens.current;
    // Close first: the server's own disconnect must not start a recovery.
    this.#end('closed');
    if (!s) return;
    try {
      await this.#http.call('POST', '/auth/logout', all ? { all: true } : { refresh_token: s.refreshToken }, bearer);
    } catch (e) {
      if (!(e instanceof GatehouseError && e.status === 401)) throw e;
    }
  }

  /** Deletes the account (password required); the session ends. */
  async deleteAccount(password: string): Promise<void> {
    const bearer = await this.accessToken();
    const call = this.#http.call('DELETE', '/auth/me', { password }, bearer);
    this.#selfRevoking = call.catch(() => undefined);
    try {
      await call;
    } finally {
      this.#selfRevoking = undefined;
    }
    this.#end('closed');
  }

  /** `GET /auth/me` with a fresh access token. */
  async me(): Promise<User> {
    return this.#http.call<User>('GET', '/auth/me', undefined, await this.accessToken());
  }

  /** A valid access token, refreshed first when it is about to expire. */
  accessToken(): Promise<string> {
    return this.#tokens.accessToken();
  }

  /**
   * Exchanges the refresh token for new tokens. Concurrent callers share one
   * request: a second refresh with the spent token would end the session.
   */
  refresh(): Promise<string> {
    return this.#tokens.refresh();
  }

  /** `whoami`: the socket's user. */
  whoami(): Promise<Member> {
    return this.#ask<Member>('whoami');
  }

  /** `room:join`; the SDK joins the room again after every reconnect. */
  async joinRoom(room: string): Promise<JoinAck> {
    const ack = await this.#ask<JoinAck>('room:join', { room });
    this.#rooms.add(room);
    return ack;
  }

  /** `room:leave`. */
  async leaveRoom(room: string): Promise<void> {
    this.#rooms.delete(room);
    await this.#ask('room:leave', { room });
  }

  /** `room:members` of a presence room the socket has joined. */
  members(room: string): Promise<MembersAck> {
    return this.#ask<MembersAck>('room:members', { room });
  }

  /** `message`: sends `body` to a joined room. */
  async send(room: string, body: string): Promise<void> {
    await this.#ask('message', { room, body });
  }

  /** `rpc`: calls the application's RPC hook; resolves with its `result`. */
  async rpc<T = unknown>(method: string, params?: unknown): Promise<T> {
    const ack = await this.#ask<{ result: T }>('rpc', { method, params: params ?? null });
    return ack.result;
  }

  #ask<T>(event: string, ...payload: unknown[]): Promise<T> {
    return request<T>(this.socket, this.#opts.ackTimeoutMs ?? 10_000, event, ...payload);
  }

  #watchSocket(): void {
    const s = this.socket;
    s.on('connect', () => {
      this.#attempt = 0;
      const again = this.#connectedOnce;
      this.#connectedOnce = true;
      this.#setState('connected');
      if (again) for (const room of this.#rooms) this.#ask('room:join', { room }).catch(() => this.#rooms.delete(room));
    });
    s.on('connect_error', (err: Error) => {
      // Transport trouble: the manager retries by itself with the current token.
      if (s.active) return this.#setState('reconnecting', { code: err.message });
      if (FINAL_CODES.has(err.message)) return this.#unauthorized(err.message);
      // token_expired: refresh then reconnect; anything else (auth_unavailable, ...): back off and retry.
      void this.#recover(err.message === 'token_expired', err.message);
    });
    s.on('disconnect', (reason: string) => {
      if (reason === 'io client disconnect') return;
      // Closed by the server (revocation, expiry, drain): a refresh tells
      // whether the session still lives; if it does, reconnect.
      if (reason === 'io server disconnect') return void this.#recover(true, reason);
      this.#setState('reconnecting', { code: reason });
    });
    s.on('auth:expiring', (p: { expires_at?: unknown }) => void this.#refreshInBand(Number(p?.expires_at)));
  }

  /** Refresh (when asked) and reconnect, backing off after failures; one at a time. */
  async #recover(refresh: boolean, code?: string): Promise<void> {
    const epoch = this.#epoch;
    if (this.#recovering === epoch) return;
    this.#recovering = epoch;
    try {
      await this.#selfRevoking;
      for (;;) {
        if (epoch !== this.#epoch) return;
        if (this.#attempt > 0) {
          this.#setState('reconnecting', { code });
          await this.#sleep(backoffDelay(this.#attempt - 1, this.#opts.backoff));
          if (epoch !== this.#epoch) return;
        }
        this.#attempt += 1;
        if (refresh) {
          this.#setState('refreshing', { code });
          try {
            await this.refresh();
          } catch (e) {
            if (e instanceof GatehouseError && e.retryable) {
              code = e.code;
              continue;
            }
            return; // final: refresh() has already reported `unauthorized`
          }
          if (epoch !== this.#epoch) return;
        }
        this.#setState('reconnecting', { code });
        this.socket.connect();
        return;
      }
    } finally {
      if (this.#recovering === epoch) this.#recovering = -1;
    }
  }

  /**
   * Answers `auth:expiring`: refresh (not before the token's half-life, so a
   * lead longer than the token lifetime cannot cause a refresh storm), then
   * `auth:refresh {token}` on the live socket.
   */
  async #refreshInBand(expiresAt: number): Promise<void> {
    const epoch = this.#epoch;
    const s = this.#tokens.current;
    if (!s || !Number.isFinite(expiresAt)) return;
    const halfLife = (s.claims.iat + (s.claims.exp - s.claims.iat) / 2) * 1000;
    if (s.claims.exp <= expiresAt && halfLife > Date.now()) await this.#sleep(halfLife - Date.now());
    for (let attempt = 0; ; attempt += 1) {
      const cur = this.#tokens.current;
      if (epoch !== this.#epoch || !cur || !this.socket.connected) return;
      let token = cur.token;
      if (cur.claims.exp <= expiresAt) {
        this.#setState('refreshing');
        try {
          token = await this.refresh();
        } catch (e) {
          // Past the expiry the server disconnects and #recover takes over.
          if (!(e instanceof GatehouseError && e.retryable) || Date.now() / 1000 >= expiresAt) return;
          await this.#sleep(backoffDelay(attempt, this.#opts.backoff));
          continue;
        }
      }
      try {
        await this.#ask('auth:refresh', { token });
      } catch (e) {
        if (e instanceof GatehouseError && FINAL_CODES.has(e.code) && epoch === this.#epoch) return this.#unauthorized(e.code);
      }
      if (epoch === this.#epoch && this.socket.connected) this.#setState('connected');
      return;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, ms);
      this.#timers.add(t);
    });
  }

  /** Cancels pending work and closes the socket. */
  #stop(): void {
    this.#epoch += 1;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.socket.disconnect();
  }

  /** Ends the session: socket closed, tokens and rooms forgotten. */
  #end(state: ConnectionState, info: StateInfo = {}): void {
    this.#stop();
    this.#tokens.clear();
    this.#rooms.clear();
    this.#connectedOnce = false;
    this.#attempt = 0;
    this.#setState(state, info);
  }

  #unauthorized(code: string): void {
    if (this.#state !== 'unauthorized') this.#end('unauthorized', { code });
  }

  #setState(state: ConnectionState, info: StateInfo = {}): void {
    if (state === this.#state) return;
    this.#state = state;
    for (const fn of this.#listeners) fn(state, info);
  }
}
