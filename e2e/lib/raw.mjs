// Raw engine.io clients for front-door tests: WebSocket and long-polling
// sessions that speak the wire protocol directly (no socket.io-client), raw
// TCP connections, and the gateway's RSS from /proc.

import { connect as tcpConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { sleep } from './util.mjs';

/**
 * Opens a raw engine.io WebSocket session. Resolves {ws, open} after the
 * open packet, or {status} when the upgrade was refused with an HTTP status.
 */
export function rawWebSocket(baseUrl, { localAddress, headers } = {}) {
  const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress, headers });
    ws.closedAt = undefined;
    ws.on('close', () => {
      ws.closedAt = Date.now();
    });
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.once('error', (e) => reject(e));
    ws.once('message', (data) => {
      const text = data.toString();
      if (!text.startsWith('0')) reject(new Error(`expected an open packet, got ${text}`));
      resolve({ ws, open: JSON.parse(text.slice(1)) });
    });
  });
}

/** The next text message of a raw WebSocket other than pings (bounded). */
export function nextText(ws, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`no message within ${ms} ms`));
    }, ms);
    const onMessage = (data, isBinary) => {
      const text = data.toString();
      if (isBinary || text === '2') return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(text);
    };
    ws.on('message', onMessage);
  });
}

/** Resolves with the time the WebSocket closed, or undefined after `ms`. */
export async function closedWithin(ws, ms) {
  const deadline = Date.now() + ms;
  while (ws.closedAt === undefined && Date.now() < deadline) await sleep(20);
  return ws.closedAt;
}

/** A long-polling engine.io open: {status, sid}. */
export async function pollingOpen(baseUrl) {
  const r = await fetch(`${baseUrl}/socket.io/?EIO=4&transport=polling`);
  const text = await r.text();
  if (r.status !== 200) return { status: r.status };
  return { status: 200, sid: JSON.parse(text.slice(1)).sid };
}

/** One long-poll GET for `sid` (bounded by `ms`): {status, body}. */
export async function pollingGet(baseUrl, sid, ms = 30000) {
  const r = await fetch(`${baseUrl}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    signal: AbortSignal.timeout(ms),
  });
  return { status: r.status, body: await r.text() };
}

/** POSTs engine.io packets for `sid`: the HTTP status. */
export async function pollingPost(baseUrl, sid, body) {
  const r = await fetch(`${baseUrl}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/plain;charset=UTF-8' },
  });
  await r.text();
  return r.status;
}

/**
 * A TCP connection that sends a request line and then one header line
 * every `everyMs` without ever finishing its headers (slow-loris). Resolves
 * {closedAt} once the server closes it, or {closedAt: undefined} after `ms`.
 */
export function slowHeaders(port, { everyMs = 300, ms = 10000 } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const sock = tcpConnect({ port, host: '127.0.0.1' }, () => {
      sock.write('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n');
    });
    let n = 0;
    const timer = setInterval(() => {
      if (Date.now() - started > ms) {
        clearInterval(timer);
        sock.destroy();
        resolve({ closedAt: undefined });
        return;
      }
      sock.write(`X-Slow-${n++}: 1\r\n`);
    }, everyMs);
    sock.on('error', () => {});
    sock.on('close', () => {
      clearInterval(timer);
      resolve({ closedAt: Date.now(), started });
    });
  });
}

/** Resident set size of a process, in KiB. */
export function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}
