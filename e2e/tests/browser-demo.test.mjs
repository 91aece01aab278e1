// The browser demo (examples/web) in headless Debian Chromium driven by
// puppeteer-core (which never downloads a browser): two browser contexts
// register, join one presence room, see each other in the member list and
// each other's messages; logging out closes the socket (the other side sees
// the user leave). Saves a screenshot to .run/browser-demo/demo.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { Stack, ROOT } from '../lib/stack.mjs';
import { startFront } from '../lib/sdk.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const OUT = join(ROOT, '.run', 'browser-demo');
const ROOM = 'presence:lobby';

let stack, browser, front;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does)`);
  stack = new Stack({ name: 'browser' });
  const auth = await stack.startAuth();
  const gw = await stack.startGateway({ auth });
  front = await startFront(auth, gw);
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
});

after(async () => {
  await browser?.close();
  await front?.close();
});

const text = (page, sel) => page.$eval(sel, (el) => el.textContent);
const texts = (page, sel) => page.$$eval(sel, (els) => els.map((el) => el.textContent));

function waitText(page, sel, wanted) {
  return page.waitForFunction((s, w) => document.querySelector(s)?.textContent === w, { timeout: 10000 }, sel, wanted);
}

function waitListed(page, sel, wanted, present = true) {
  return page.waitForFunction(
    (s, w, p) => [...document.querySelectorAll(s)].some((el) => el.textContent.includes(w)) === p,
    { timeout: 10000 },
    sel,
    wanted,
    present,
  );
}

/** A fresh browser context on the demo: registers `username` and joins the room. */
async function visitor(username) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 900, height: 640 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(front.url, { waitUntil: 'load' });
  await page.type('#username', username);
  await page.type('#email', `${username.toLowerCase()}@example.test`);
  await page.type('#password', `pw-${username}-secret`);
  await page.click('#register');
  await waitText(page, '#state', 'connected');
  assert.equal(await page.$eval('#room', (el) => el.value), ROOM);
  await page.click('#join');
  await page.waitForFunction(() => document.querySelector('#current-room').textContent || document.querySelector('#error').textContent, {
    timeout: 10000,
  });
  assert.equal(await text(page, '#error'), '', `joining ${ROOM}`);
  assert.equal(await text(page, '#current-room'), `in ${ROOM}`);
  return { page, errors, username };
}

test('two browsers chat in one presence room; logout closes the socket', async () => {
  const a = await visitor(stack.uniqueName('ann'));
  const b = await visitor(stack.uniqueName('bob'));

  // Presence: b's join ack lists both; a learns of b through presence:join.
  await waitListed(a.page, '#members li', b.username);
  assert.deepEqual((await texts(b.page, '#members li')).sort(), [a.username, b.username].sort());
  assert.equal(await text(a.page, '#count'), '2');

  await a.page.type('#message', 'hello from ann');
  await a.page.click('#send');
  await b.page.type('#message', 'hi ann, bob here');
  await b.page.click('#send');
  for (const v of [a, b]) {
    await waitListed(v.page, '#messages li', `${a.username}hello from ann`);
    await waitListed(v.page, '#messages li', `${b.username}hi ann, bob here`);
  }

  mkdirSync(OUT, { recursive: true });
  await a.page.screenshot({ path: join(OUT, 'demo.png') });

  await b.page.click('#logout');
  await waitText(b.page, '#state', 'closed');
  assert.equal(await b.page.evaluate(() => window.gatehouse.socket.connected), false);
  await b.page.waitForFunction(() => !document.querySelector('#auth-panel').hidden, { timeout: 10000 });
  // The server saw the socket go: a's member list drops b.
  await waitListed(a.page, '#members li', b.username, false);
  assert.equal(await text(a.page, '#count'), '1');
  assert.deepEqual([...a.errors, ...b.errors], []);
});
