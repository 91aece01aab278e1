// Child processes with their output kept in memory, and the per-file
// harness: every child is killed (and every registered cleanup run) in the
// test file's after() hook; logs are printed only when a test failed, or
// streamed live with TEST_LOG=1.

import { spawn } from 'node:child_process';
import { after, afterEach } from 'node:test';
import { withTimeout } from './util.mjs';

const TEST_LOG = process.env.TEST_LOG === '1';
const LOG_TAIL_LINES = 300;

// ---------------------------------------------------------------- children

/** One child process with its output kept in memory. */
export class Child {
  constructor(name, cmd, args, env) {
    this.name = name;
    this.lines = [];
    this.exited = false;
    this.proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.proc.pid;
    this.exit = new Promise((res) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = true;
        res({ code, signal });
      });
      this.proc.on('error', (err) => {
        this.lines.push(`[spawn error] ${err.message}`);
        this.exited = true;
        res({ code: null, signal: null, error: err });
      });
    });
    this.listeners = new Set();
    for (const [stream, tag] of [[this.proc.stdout, 'out'], [this.proc.stderr, 'err']]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.#line(tag, line);
        }
      });
    }
  }

  #line(tag, line) {
    this.lines.push(`${tag}| ${line}`);
    if (this.lines.length > 20000) this.lines.splice(0, 10000);
    if (TEST_LOG) process.stderr.write(`[${this.name}] ${line}\n`);
    let json;
    if (line.startsWith('{')) {
      try {
        json = JSON.parse(line);
      } catch {
        json = undefined;
      }
    }
    for (const l of this.listeners) l(json, line);
  }

  /** Resolves with the first JSON log line for which `pred` is true. */
  waitForLog(pred, ms, what) {
    let listener;
    const found = new Promise((res, rej) => {
      listener = (json, line) => {
        try {
          if (pred(json, line)) res(json ?? line);
        } catch {
          /* not the line */
        }
      };
      this.listeners.add(listener);
      this.exit.then(({ code, signal }) =>
        rej(new Error(`${this.name} exited (code ${code}, signal ${signal}) before: ${what}\n${this.tail(40)}`)),
      );
    });
    return withTimeout(found, ms, `${this.name}: ${what}\n${this.tail(40)}`).finally(() =>
      this.listeners.delete(listener),
    );
  }

  /** Sends `signal` and waits (bounded) for the exit; SIGKILL after `ms`. */
  async stop(signal = 'SIGTERM', ms = 15000) {
    if (this.exited) return this.exit;
    this.proc.kill(signal);
    const timer = setTimeout(() => {
      if (!this.exited) this.proc.kill('SIGKILL');
    }, ms);
    const result = await this.exit;
    clearTimeout(timer);
    return result;
  }

  tail(n = LOG_TAIL_LINES) {
    return this.lines.slice(-n).join('\n');
  }
}

// ---------------------------------------------------------------- harness

const allChildren = [];
const cleanups = [];
let anyFailed = false;
let hooked = false;
/** Outside node:test (the benchmark) set E2E_NO_TEST_HOOKS=1 and call stopAll(). */
const USE_TEST_HOOKS = process.env.E2E_NO_TEST_HOOKS !== '1';

/** Registers the file's afterEach/after hooks (once, at import time). */
export function hookOnce() {
  if (hooked || !USE_TEST_HOOKS) return;
  hooked = true;
  afterEach((t) => {
    if (t.passed === false) anyFailed = true;
  });
  after(async () => {
    if (anyFailed || TEST_LOG) dumpLogs();
    await stopAll();
  });
}
hookOnce();

/** Runs `fn` when everything stops (before the children are killed). */
export function onStop(fn) {
  cleanups.push(fn);
}

const lateCleanups = [];
/** Runs `fn` after the children are killed (temp files). */
export function afterStop(fn) {
  lateCleanups.push(fn);
}

/** Runs the cleanups, kills every child (SIGKILL), removes temp files. */
export async function stopAll() {
  for (const f of cleanups.splice(0)) {
    try {
      f();
    } catch {
      /* best effort */
    }
  }
  await Promise.allSettled(allChildren.filter((c) => c.name !== 'mongo').map((c) => c.stop('SIGKILL', 5000)));
  await Promise.allSettled(allChildren.filter((c) => c.name === 'mongo').map((c) => c.stop('SIGKILL', 5000)));
  for (const f of lateCleanups.splice(0)) {
    try {
      f();
    } catch {
      /* best effort */
    }
  }
}

function dumpLogs() {
  if (TEST_LOG) return; // already streamed
  for (const c of allChildren) {
    process.stderr.write(`\n===== ${c.name} (pid ${c.pid}) last ${LOG_TAIL_LINES} lines =====\n${c.tail()}\n`);
  }
}

/** Marks the file as failed so logs are printed (for failures outside tests). */
export function markFailed() {
  anyFailed = true;
}

/** Spawns a tracked child: killed in the file's after() hook. */
export function spawnChild(name, cmd, args, env) {
  const child = new Child(name, cmd, args, env);
  allChildren.push(child);
  return child;
}
