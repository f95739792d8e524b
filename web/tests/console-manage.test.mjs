// The console's "manage" pages in headless chromium (playwright-core driving Debian's
// /usr/bin/chromium) against a devnet whose provider runs containers on the local dockerd:
// alice deploys examples/demo.yaml with the kumo CLI, then in the browser signs in with her
// local key, publishes the console's certificate, finds the deployment in the list, opens it and
// its lease, reads the worker's output in the live logs (and again after the socket drops),
// runs `echo hello-kumo` in an xterm.js shell, adds funds (the escrow balance shown rises) and
// closes the deployment (→ closed). Bob's deployment answers 404 without his data. A screenshot
// of each step goes to $KUMO_TEST_OUT (or a temp dir printed at the end).
//
//   CONSOLE_URL=http://127.0.0.1:30960 KUMO_BIN=target/release/kumo KUMO_HOME=… \
//   KUMO_RPC=http://127.0.0.1:30957 node --test web/tests/console-manage.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONSOLE = (process.env.CONSOLE_URL || 'http://127.0.0.1:30960').replace(/\/$/, '');
const KUMO = process.env.KUMO_BIN || join(ROOT, 'target', 'release', 'kumo');
const HOME = process.env.KUMO_HOME;
const RPC = process.env.KUMO_RPC || 'http://127.0.0.1:30957';
const OUT = process.env.KUMO_TEST_OUT || mkdtempSync(join(tmpdir(), 'kumo-console-manage-'));
mkdirSync(OUT, { recursive: true });
assert.ok(HOME, 'KUMO_HOME must name the devnet home (its test keyring has alice, bob, provider)');

const kumo = (...args) => execFileSync(KUMO, ['--home', HOME, ...args], { encoding: 'utf8', timeout: 300_000 });
const address = (name) => kumo('keys', 'show', name, '-a', '--keyring-backend', 'test').trim();

let browser;
let page;
let dseq;
let bobDseq;
const pageErrors = [];

before(async () => {
  // examples/demo.yaml fixes the ingress host demo.kumo.local, which a provider serves for one
  // lease at a time: alice's deployments left running by earlier tests are closed first.
  const active = JSON.parse(kumo('query', 'deployment', 'list', '--owner', address('alice'), '--state', 'active',
    '--node', RPC, '--output', 'json')).deployments;
  for (const d of active) {
    kumo('tx', 'deployment', 'close', '--dseq', d.deployment.id.dseq, '--from', 'alice', '--keyring-backend', 'test',
      '--node', RPC, '-y', '--broadcast-mode', 'block');
  }
  // The deployment to manage: the CLI's whole tenant flow, as a user would have done it.
  const out = kumo('deploy', join(ROOT, 'examples', 'demo.yaml'), '--from', 'alice', '--keyring-backend', 'test',
    '--node', RPC, '-y', '--provider', 'provider', '--bid-wait', '60', '--up-wait', '120', '--output', 'json');
  dseq = JSON.parse(out).dseq;
  // Bob's deployment (no lease needed): alice must never see it.
  bobDseq = String(Date.now() % 1_000_000_000);
  kumo('tx', 'deployment', 'create', '--from', 'bob', join(ROOT, 'examples', 'demo.yaml'), '--deposit', '5000000uakt',
    '--dseq', bobDseq, '--keyring-backend', 'test', '--node', RPC, '-y', '--broadcast-mode', 'block');

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    // 4xx page loads are expected in the isolation step; script errors are not.
    if (m.type() === 'error' && !/status of 40\d/.test(m.text())) pageErrors.push(`${page.url()}: ${m.text()}`);
  });
});

after(async () => {
  await browser?.close();
  console.log(`screenshots: ${OUT}`);
});

const shot = (name) => page.screenshot({ path: join(OUT, name), fullPage: true });
// `4.990000 AKT` → 4.99
const tokens = (text) => Number(text.replace(/[^0-9.]/g, ''));

test('sign in with a local key and publish the console certificate', async () => {
  await page.goto(CONSOLE + '/wallet');
  await page.selectOption('#local-sign-in select[name=name]', 'alice');
  await page.click('#local-sign-in button[type=submit]');
  await page.goto(CONSOLE + '/wallet');
  await page.waitForSelector('#signed-in');
  await page.click('form[hx-post="/wallet/certificate"] button');
  await page.waitForFunction(() => /in block|already on chain/.test(document.querySelector('#cert-result')?.textContent || ''),
    null, { timeout: 60_000 });
  await shot('01-wallet.png');
});

test('the deployments list shows the deployment with its escrow and time left', async () => {
  await page.goto(CONSOLE + '/deployments');
  const row = page.locator(`tr[data-dseq="${dseq}"]`);
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  assert.match(cells[1], /active/);
  assert.equal(cells[2].trim(), '1', 'one active lease');
  assert.match(cells[3], /^\d[\d,]*\.\d{6} AKT$/, `escrow balance ${cells[3]}`);
  assert.match(cells[4], /^\d+\.\d h \([\d,]+ blocks\)/, `time left ${cells[4]}`);
  assert.equal(await page.locator(`tr[data-dseq="${bobDseq}"]`).count(), 0, "bob's deployment is not listed");
  // Search by dseq.
  await page.fill('#search input[name=dseq]', dseq);
  await page.click('#search button');
  await page.waitForURL(/dseq=/);
  assert.equal(await page.locator('#deployments tbody tr').count(), 1);
  await shot('02-deployments.png');
  await page.click(`tr[data-dseq="${dseq}"] a`);
  await page.waitForSelector('#escrow-balance');
  assert.match(await page.textContent('#leases'), /localhost:\d+/, 'the provider host');
  assert.match(await page.textContent('#leases'), /AKT/, 'prices in AKT');
  await shot('03-deployment.png');
});

test('lease: status, live logs (reconnecting after a drop), events', async () => {
  await page.click('#leases a.lease-link');
  await page.waitForSelector('#services', { timeout: 30_000 });
  assert.match(await page.textContent('#services'), /1 \/ 1 running/);
  await page.waitForFunction(() => /worker line \d+/.test(document.querySelector('#logs')?.textContent || ''),
    null, { timeout: 30_000 });
  assert.match(await page.textContent('#logs-state'), /live/);
  await shot('04-lease-logs.png');
  // The socket drops (as an idle proxy or a network blip would do it): the page says it is
  // reconnecting, comes back live, and the worker's new lines arrive again.
  await page.evaluate(() => window.kumoStreams.logs.drop());
  await page.waitForFunction(() => /reconnecting/.test(document.querySelector('#logs-state').textContent), null, { timeout: 5_000 });
  await shot('05-logs-reconnecting.png');
  await page.waitForFunction(() => /live/.test(document.querySelector('#logs-state').textContent)
    && /worker line \d+/.test(document.querySelector('#logs').textContent), null, { timeout: 30_000 });
  await page.waitForFunction(() => (document.querySelector('#events')?.textContent || '').length > 0, null, { timeout: 30_000 });
});

test('shell: echo hello-kumo comes back through a TTY', async () => {
  await page.selectOption('#shell-service', 'web');
  assert.equal(await page.inputValue('#shell-cmd'), 'sh');
  await page.click('#shell-open');
  await page.waitForFunction(() => document.querySelector('#shell-state').dataset.state === 'live', null, { timeout: 30_000 });
  await page.click('#terminal');
  await page.keyboard.type('echo hello-kumo\r');
  // The output line (not the echoed command line) reads exactly hello-kumo.
  await page.waitForFunction(() => {
    const b = window.kumoTerminal.buffer.active;
    for (let i = 0; i < b.length; i++) {
      if ((b.getLine(i)?.translateToString(true) || '').trim() === 'hello-kumo') return true;
    }
    return false;
  }, null, { timeout: 20_000 });
  await shot('06-shell.png');
  await page.keyboard.type('exit\r');
  await page.waitForFunction(() => /exited with code 0/.test(document.querySelector('#shell-state').textContent), null, { timeout: 20_000 });
});

test("another account's deployment answers 404 without its data", async () => {
  const r = await page.goto(`${CONSOLE}/deployments/${bobDseq}`);
  assert.equal(r.status(), 404);
  const body = await page.textContent('main');
  assert.match(body, /No such deployment/);
  assert.ok(!body.includes(address('bob')), "bob's address is not on the page");
  await shot('07-not-yours.png');
});

test('update: the new SDL version goes on chain and its manifest to the provider', async () => {
  await page.goto(`${CONSOLE}/deployments/${dseq}`);
  const sdl = readFileSync(join(ROOT, 'examples', 'demo.yaml'), 'utf8').replace('GREETING=hello', 'GREETING=updated');
  // A change of resources is refused in words, and the text stays in the editor.
  await page.fill('#sdl', sdl.replace('units: 0.5', 'units: 2'));
  await page.click('#update button');
  await page.waitForSelector('#action-result .error');
  assert.match(await page.textContent('#action-result'), /changes the groups/);
  assert.match(await page.inputValue('#sdl'), /units: 2/);
  await page.fill('#sdl', sdl);
  await page.click('#update button');
  await page.waitForSelector('#manifest-result', { timeout: 60_000 });
  assert.match(await page.textContent('#manifest-result'), /manifest accepted by the provider at https:\/\/localhost:\d+/);
  await shot('08-updated.png');
  // The worker runs the new manifest: its environment says so.
  let greeting = '';
  for (let i = 0; i < 30 && !greeting.includes('updated'); i++) {
    try {
      greeting = kumo('lease', 'shell', '--from', 'alice', '--keyring-backend', 'test', '--node', RPC, '--dseq', dseq,
        '--provider', 'provider', '--service', 'worker', '--', 'sh', '-c', 'echo $GREETING');
    } catch { /* the container may be restarting */ }
    if (!greeting.includes('updated')) await new Promise((r) => setTimeout(r, 1000));
  }
  assert.match(greeting, /updated/);
});

test('add funds raises the escrow balance; bad amounts are refused in words', async () => {
  await page.goto(`${CONSOLE}/deployments/${dseq}`);
  await page.fill('#deposit input[name=amount]', 'five');
  await page.click('#deposit button');
  await page.waitForSelector('#action-result .error');
  assert.match(await page.textContent('#action-result'), /not an amount/);
  const before = tokens(await page.textContent('#escrow-balance'));
  await page.fill('#deposit input[name=amount]', '3');
  await page.click('#deposit button');
  await page.waitForSelector('#deposit-done', { timeout: 60_000 });
  // The summary reloads after the notice (HX-Trigger).
  await page.waitForFunction((b) => Number(document.querySelector('#escrow-balance').textContent.replace(/[^0-9.]/g, '')) > b + 2,
    before, { timeout: 20_000 });
  const afterBalance = tokens(await page.textContent('#escrow-balance'));
  assert.ok(afterBalance > before + 2 && afterBalance <= before + 3, `${before} → ${afterBalance}`);
  await shot('09-funds-added.png');
});

test('close, after the confirmation, ends the deployment', async () => {
  page.once('dialog', (d) => d.accept());
  await page.click('#close button');
  await page.waitForSelector('#close-done', { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('#deployment-state').textContent.trim() === 'closed', null, { timeout: 20_000 });
  assert.equal(await page.locator('#deposit').count(), 0, 'a closed deployment has no actions');
  await shot('10-closed.png');
  await page.goto(CONSOLE + '/deployments?state=closed');
  await page.locator(`tr[data-dseq="${dseq}"]`).waitFor();
  await page.goto(CONSOLE + '/providers');
  await page.waitForSelector('#providers');
  assert.match(await page.textContent('#providers'), /region=local/);
  await shot('11-providers.png');
  assert.deepEqual(pageErrors, [], 'no script errors on any page');
});
