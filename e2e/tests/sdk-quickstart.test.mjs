// The SDK README's quick start, run verbatim against a real stack: the
// first ```js block of clients/js/README.md, with only the URL (dev.sh's
// one origin → this test's front) and the user name (made unique) swapped.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Stack, ROOT } from '../lib/stack.mjs';
import { startFront } from '../lib/sdk.mjs';

let stack, front;

before(async () => {
  stack = new Stack({ name: 'quickstart' });
  const auth = await stack.startAuth();
  const gw = await stack.startGateway({ auth });
  front = await startFront(auth, gw);
});

test('the README quick start registers, logs in, connects and chats', async () => {
  const readme = readFileSync(join(ROOT, 'clients', 'js', 'README.md'), 'utf8');
  const block = readme.match(/```js\n([\s\S]*?)```/)[1];
  assert.match(block, /http:\/\/127\.0\.0\.1:8000/);
  const name = stack.uniqueName('qs');
  const code = `${block.replaceAll('http://127.0.0.1:8000', front.url).replaceAll('newuser', name)}\nawait gh.logout();\n`;
  // Inside the package, so `@gatehouse/client` resolves to this build (package self-reference).
  const file = join(ROOT, 'clients', 'js', `.quickstart-${process.pid}.mjs`);
  writeFileSync(file, code);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 20000 });
    assert.deepEqual(stdout.trim().split('\n'), ['connection: connecting', 'connection: connected', `${name}: hello`, 'connection: closed']);
  } finally {
    rmSync(file, { force: true });
  }
});
