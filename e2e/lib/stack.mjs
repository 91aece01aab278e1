// Real Gatehouse processes for end-to-end tests: auth-service and
// realtime-gateway binaries started on port 0 (ports learnt from their JSON
// logs), a fresh MongoDB database and a fresh Ed25519 signing key per stack,
// redis-server for cluster tests. Re-exports the HTTP (api.mjs), socket.io
// (client.mjs) and process (child.mjs, util.mjs) helpers, so tests import
// everything from here.

import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnChild, afterStop } from './child.mjs';
import { AuthApi } from './api.mjs';
import { ROOT, sleep, freePort, canConnect } from './util.mjs';

export * from './util.mjs';
export * from './child.mjs';
export * from './api.mjs';
export * from './client.mjs';
export * from './raw.mjs';

/** Generous rate limits so tests never trip the auth-service's login limits. */
const GENEROUS_LIMITS = {
  RATE_LIMIT_LOGIN_PER_ADDRESS: '100000/1m',
  RATE_LIMIT_LOGIN_FAILURES: '100000/1m',
  RATE_LIMIT_REGISTER_PER_ADDRESS: '100000/1m',
  RATE_LIMIT_REFRESH_PER_ADDRESS: '100000/1m',
};

/**
 * Front-door limits off: tests open many sockets from 127.0.0.1 in bursts.
 * The front-door tests set their own.
 */
const OPEN_DOOR = {
  HANDSHAKE_RATE_PER_ADDRESS: '0',
  MAX_PENDING_PER_ADDRESS: '100000',
  MAX_PENDING_SESSIONS: '100000',
  MAX_PENDING_CONNECTIONS: '100000',
};

/**
 * Path of a binary: target/<profile>/<name>, debug unless asked otherwise;
 * `E2E_TARGET_DIR` points at another directory of binaries (another worktree's build).
 */
export function binary(name, profile = process.env.E2E_PROFILE || 'debug') {
  const dir = process.env.E2E_TARGET_DIR || join(ROOT, 'target', profile);
  const path = join(dir, name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`cargo build --workspace --bins\` first`);
  }
  return path;
}

// ---------------------------------------------------------------- MongoDB

let mongo;

/** MONGODB_URI from the environment, else a SecantusDB started once per file. */
function ensureMongo() {
  if (process.env.MONGODB_URI) return Promise.resolve(process.env.MONGODB_URI);
  mongo ??= startOwnMongo();
  return mongo;
}

async function startOwnMongo() {
  const bin = process.env.SECANTUSD_BIN || join(ROOT, '.tools', 'venv', 'bin', 'secantusd-py');
  if (!existsSync(bin)) throw new Error('MONGODB_URI is unset and SecantusDB is not installed (run scripts/test.sh)');
  const port = await freePort();
  const child = spawnChild('mongo', bin, ['--host', '127.0.0.1', '--port', String(port), '--storage-path', ':memory:', '--log-level', 'WARNING'], process.env);
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exited) throw new Error(`SecantusDB exited\n${child.tail(40)}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) throw new Error('SecantusDB did not start in 30 s');
    await sleep(100);
  }
  return `mongodb://127.0.0.1:${port}`;
}

// ---------------------------------------------------------------- stack

/**
 * A set of processes sharing one MongoDB database and one signing key.
 * Call inside a test file at top level or in `before()`; children die in the
 * file's `after()` hook.
 */
export class Stack {
  constructor({ name = 'stack' } = {}) {
    this.name = name;
    this.database = `e2e_${name.replace(/[^A-Za-z0-9_]/g, '_')}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.publicKey = publicKey;
    this.privateKey = privateKey;
    this.dir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
    afterStop(() => rmSync(this.dir, { recursive: true, force: true }));
    this.keyPath = join(this.dir, 'signing-key.pem');
    // The gRPC credentials both services share, as in production.
    this.grpcToken = `e2e-grpc-${randomBytes(24).toString('hex')}`;
    writeFileSync(this.keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    this.auths = [];
    this.gateways = [];
    this.counter = 0;
  }

  /** Starts an auth-service on port 0 (or `addrs` to reuse ports). */
  async startAuth({ env = {}, name, addrs } = {}) {
    const uri = await ensureMongo();
    const label = name ?? `auth-${this.name}-${this.auths.length}`;
    const auth = new AuthService(this, label, { ...env }, uri);
    await auth.start(addrs);
    this.auths.push(auth);
    return auth;
  }

  /** Starts a gateway using `auth` (gRPC + JWKS) and waits for /readyz 200. */
  async startGateway({ auth = this.auths[0], env = {}, name, ready = true } = {}) {
    const label = name ?? `gateway-${this.name}-${this.gateways.length}`;
    const gw = new Gateway(label, {
      ...OPEN_DOOR,
      AUTH_GRPC_URL: auth.grpcUrl,
      AUTH_JWKS_URL: `${auth.httpUrl}/.well-known/jwks.json`,
      AUTH_GRPC_TOKEN: this.grpcToken,
      ...env,
    });
    await gw.start(ready);
    this.gateways.push(gw);
    return gw;
  }

  /**
   * An auth-service and two gateway replicas sharing a fresh redis-server
   * (a missing redis-server is an error: scripts/test.sh installs it).
   * Returns {auth, g1, g2, redis}.
   */
  async startCluster(env = {}) {
    if (!(await haveRedis())) throw new Error('redis-server is not installed (scripts/test.sh installs it)');
    const redis = await startRedis();
    const auth = this.auths[0] ?? (await this.startAuth());
    const shared = { REDIS_URL: redis.url, ...env };
    const [g1, g2] = await Promise.all([
      this.startGateway({ auth, env: shared, name: `gateway-${this.name}-1` }),
      this.startGateway({ auth, env: shared, name: `gateway-${this.name}-2` }),
    ]);
    return { auth, g1, g2, redis };
  }

  /** A unique username. */
  uniqueName(prefix = 'u') {
    this.counter += 1;
    return `${prefix}${this.counter}_${randomBytes(4).toString('hex')}`.slice(0, 32);
  }
}

function childEnv(extra) {
  const env = { ...process.env, LOG_FORMAT: 'json', RUST_LOG: process.env.RUST_LOG || 'info', ...extra };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

/** A running (or stopped) auth-service. */
export class AuthService {
  constructor(stack, name, env, mongoUri) {
    this.stack = stack;
    this.name = name;
    this.env = env;
    this.mongoUri = mongoUri;
    this.child = undefined;
    this.generation = 0;
  }

  async start(addrs) {
    const env = childEnv({
      ...GENEROUS_LIMITS,
      AUTH_HTTP_ADDR: addrs?.http ?? '127.0.0.1:0',
      AUTH_GRPC_ADDR: addrs?.grpc ?? '127.0.0.1:0',
      MONGODB_URI: this.mongoUri,
      MONGODB_DATABASE: this.stack.database,
      JWT_SIGNING_KEYS: this.stack.keyPath,
      AUTH_GRPC_TOKEN: this.stack.grpcToken,
      ...this.env,
    });
    const label = this.generation === 0 ? this.name : `${this.name}#${this.generation}`;
    this.generation += 1;
    this.child = spawnChild(label, binary('auth-service'), [], env);
    const line = await this.child.waitForLog(
      (j) => j?.fields?.message === 'auth-service listening',
      30000,
      'auth-service listening',
    );
    this.httpAddr = line.fields.http_addr;
    this.grpcAddr = line.fields.grpc_addr;
    this.httpUrl = `http://${this.httpAddr}`;
    this.grpcUrl = `http://${this.grpcAddr}`;
    this.api = new AuthApi(this.httpUrl);
    return this;
  }

  get pid() {
    return this.child?.pid;
  }

  /** The `kid` of the signing key, as published in the JWKS. */
  async kid() {
    const { status, body } = await this.api.jwks();
    if (status !== 200 || !body?.keys?.length) throw new Error(`JWKS: ${status} ${JSON.stringify(body)}`);
    return body.keys[0].kid;
  }

  /** SIGTERM (graceful) and wait for the exit. */
  stop(signal = 'SIGTERM') {
    return this.child.stop(signal);
  }

  /** Starts again on the same HTTP and gRPC ports with the same key and database. */
  async restart(signal = 'SIGKILL') {
    if (!this.child.exited) await this.stop(signal);
    const addrs = { http: this.httpAddr, grpc: this.grpcAddr };
    const deadline = Date.now() + 10000;
    for (;;) {
      try {
        await this.start(addrs);
        return this;
      } catch (e) {
        // The port may linger for a moment after the exit; retry (bounded).
        if (Date.now() > deadline || !/exited/.test(e.message)) throw e;
        await sleep(200);
      }
    }
  }
}

/** A running realtime-gateway. */
export class Gateway {
  constructor(name, env) {
    this.name = name;
    this.env = env;
  }

  async start(ready) {
    const env = childEnv({ GATEWAY_ADDR: '127.0.0.1:0', ...this.env });
    this.child = spawnChild(this.name, binary('realtime-gateway'), [], env);
    // The server API's listeners (when GATEWAY_API_KEYS is set) log before
    // the socket.io listener does.
    this.child.listeners.add((j) => {
      const message = j?.fields?.message;
      if (message === 'server API listening') this.apiUrl = `http://${j.fields.addr}/api/v1`;
      if (message === 'server API (gRPC) listening') this.apiGrpcAddr = j.fields.addr;
    });
    const line = await this.child.waitForLog(
      (j) => j?.fields?.message === 'realtime-gateway listening',
      30000,
      'realtime-gateway listening',
    );
    this.addr = line.fields.addr;
    this.url = `http://${this.addr}`;
    if (ready) await this.waitReady();
    return this;
  }

  get pid() {
    return this.child.pid;
  }

  /** Polls /readyz until 200 (bounded). */
  async waitReady(ms = 20000) {
    const deadline = Date.now() + ms;
    let last;
    while (Date.now() < deadline) {
      if (this.child.exited) throw new Error(`${this.name} exited before ready\n${this.child.tail(40)}`);
      try {
        const r = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
        last = r.status;
        if (r.status === 200) return;
      } catch (e) {
        last = e.message;
      }
      await sleep(100);
    }
    throw new Error(`${this.name}: /readyz not 200 within ${ms} ms (last: ${last})\n${this.child.tail(40)}`);
  }

  stop(signal = 'SIGTERM', ms = 30000) {
    return this.child.stop(signal, ms);
  }
}

// ---------------------------------------------------------------- redis

/** Starts a throwaway redis-server on `port` (default: a free loopback port); returns its URL. */
export async function startRedis(port) {
  port ??= await freePort();
  const child = spawnChild('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], process.env);
  await child.waitForLog((_, line) => /Ready to accept connections/.test(line), 15000, 'redis ready');
  return { url: `redis://127.0.0.1:${port}/?protocol=resp3`, child };
}

/** Whether redis-server is on PATH. */
export async function haveRedis() {
  return new Promise((res) => {
    const p = spawn('redis-server', ['--version'], { stdio: 'ignore' });
    p.on('error', () => res(false));
    p.on('exit', (code) => res(code === 0));
  });
}
