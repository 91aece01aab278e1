// A programmable application backend for hook tests: a real HTTP server on
// 127.0.0.1:0 that verifies every call with the example hook server's
// verify.mjs, records it ({path, headers, body, verified}), and answers
// with the behaviour the test set for that path: a JSON answer, a status,
// invalid JSON, or a delay past the gateway's HOOK_TIMEOUT.

import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';

import { keyOf, verify } from '../../examples/hook-server/verify.mjs';
import { sleep } from './util.mjs';

/** A fresh `whsec_` secret. */
export function hookSecret() {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export class HookServer {
  constructor(secret) {
    this.key = keyOf(secret);
    this.calls = [];
    /** path → (body) => {status?, json?, raw?, delayMs?} */
    this.behaviour = new Map();
  }

  /** Sets how `path` answers: a function of the parsed body. */
  on(path, answer) {
    this.behaviour.set(path, answer);
  }

  async start() {
    this.server = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const verified = verify(this.key, req.headers, raw);
        let body;
        try {
          body = JSON.parse(raw);
        } catch {
          body = undefined;
        }
        this.calls.push({ path: req.url, headers: req.headers, body, verified });
        if (!verified) return void res.writeHead(401).end();
        const answer = this.behaviour.get(req.url)?.(body) ?? { status: 404 };
        if (answer.delayMs) await sleep(answer.delayMs);
        if (res.destroyed) return;
        if (answer.raw !== undefined) {
          res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(answer.raw);
        } else if (answer.json !== undefined) {
          res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(answer.json));
        } else {
          res.writeHead(answer.status ?? 500).end();
        }
      });
    });
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  close() {
    this.server?.closeAllConnections?.();
    this.server?.close();
  }
}
