// The console's deploy flow in headless chromium (playwright-core driving Debian's
// /usr/bin/chromium) against a devnet whose provider runs containers on the local dockerd.
//
// Keplr path (bob): window.keplr is a stub (page.addInitScript) whose signDirect forwards the
// sign doc to a test signer in this process (@cosmjs/proto-signing's DirectSecp256k1HdWallet
// with bob's devnet mnemonic, from tests/compat/node_modules): connect, pick a template, a typo
// shows its line and keeps the text, a deposit above the balance, a declined signature, a
// signature by the wrong key, deploy, bids, accept, running, the URI answers, then the manage
// pages with the same wallet: logs, shell echo, add funds, close.
// Local-key path (alice): sign in, deploy, bids, accept, running, the URI answers (timed against
// `kumo deploy`); a GPU SDL on a provider without GPUs shows the decline reason; a provider
// that stops answering shows as unreachable.
// Screenshots of each step go to $KUMO_TEST_OUT.
//
//   CONSOLE_URL=http://127.0.0.1:30900 KUMO_HOME=… KUMO_RPC=… PROVIDER_PID=… \
//   node --test web/tests/console.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONSOLE = (process.env.CONSOLE_URL || 'http://127.0.0.1:30900').replace(/\/$/, '');
const OUT = process.env.KUMO_TEST_OUT || mkdtempSync(join(tmpdir(), 'kumo-console-'));
const PROVIDER_PID = Number(process.env.PROVIDER_PID || 0);
mkdirSync(OUT, { recursive: true });

// The devnet's public test mnemonics (scripts/devnet.sh prints them).
const BOB = 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong';
const ALICE = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

const compat = createRequire(join(ROOT, 'tests', 'compat', 'package.json'));
const { DirectSecp256k1HdWallet } = compat('@cosmjs/proto-signing');

let browser;
const pageErrors = [];
const figures = {};

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  if (PROVIDER_PID) { try { process.kill(PROVIDER_PID, 'SIGCONT'); } catch { /* gone */ } }
  writeFileSync(join(OUT, 'figures.json'), JSON.stringify(figures, null, 2));
  console.log(`screenshots and figures: ${OUT}`);
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    // Refusals the tests provoke (401, 422) log the response status; script errors are what counts.
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(`${page.url()}: ${m.text()}`);
  });
  return page;
}

const shot = (page, name) => page.screenshot({ path: join(OUT, name), fullPage: true });
const text = async (page, sel) => (await page.textContent(sel)) || '';

// Template → typo (error with its line, text kept) → fixed text; returns the textarea's value.
async function editWithTypo(page, name) {
  await page.goto(CONSOLE + '/?template=tetris');
  await page.click('a[href="/?template=kumo-demo"]');
  await page.waitForSelector('#sdl-ok');
  const original = await page.inputValue('#sdl');
  const typo = original.replace('units: 0.5', 'units: 0.5x');
  await page.fill('#sdl', typo);
  await page.waitForSelector('#sdl-errors');
  assert.match(await text(page, '#sdl-errors'), /line 30/);
  assert.equal(await page.inputValue('#sdl'), typo, 'the editor keeps the text with the typo');
  await shot(page, name);
  await page.fill('#sdl', original);
  await page.waitForSelector('#sdl-ok');
  return original;
}

async function deployAndRun(page, prefix) {
  await page.fill('#deposit', '5');
  await page.waitForFunction(() => /Deposit 5 AKT lasts/.test(document.querySelector('#sdl-ok')?.textContent || ''));
  const t0 = Date.now();
  await page.click('#deploy-button');
  await page.waitForSelector('#bid-table tr.bid', { timeout: 120_000 });
  const row = await text(page, '#bid-table tr.bid');
  assert.match(row, /local/, 'the provider region');
  assert.match(row, /AKT/, 'prices in AKT');
  assert.match(await text(page, '#bid-table thead'), /Per hour.*Per month/s);
  await shot(page, `${prefix}-bids.png`);
  await page.click('#bid-table tr.bid button.accept');
  await page.waitForSelector('#running', { timeout: 180_000 });
  const seconds = (Date.now() - t0) / 1000;
  await shot(page, `${prefix}-running.png`);
  // The generated ingress host (the SDL's own accept host, demo.kumo.local, is listed too).
  const uri = await page.getAttribute('a.uri[href*=".ingress.localhost"]', 'href');
  assert.match(uri, /^http:\/\/[a-z0-9.-]+\.ingress\.localhost:\d+\/$/);
  const site = await page.context().newPage();
  const r = await site.goto(uri);
  assert.equal(r.status(), 200);
  assert.match(await site.textContent('body'), /Hello from a kumo lease/);
  await shot(site, `${prefix}-site.png`);
  await site.close();
  const dseq = (await page.getAttribute('#progress a[href^="/deployments/"]', 'href')).match(/\/deployments\/(\d+)/)[1];
  return { seconds, dseq };
}

test('Keplr path: connect, template, typo, bad deposit, declined and wrong-key signatures, deploy, run, manage', async () => {
  const bob = await DirectSecp256k1HdWallet.fromMnemonic(BOB, { prefix: 'akash' });
  const alice = await DirectSecp256k1HdWallet.fromMnemonic(ALICE, { prefix: 'akash' });
  const [account] = await bob.getAccounts();
  const page = await newPage();
  // The test signer: signDirect on the doc the page got from the console.
  await page.exposeFunction('__testSignDirect', async (which, signer, bodyB64, authB64, chainId, accountNumber) => {
    const wallet = which === 'alice' ? alice : bob;
    const [a] = await wallet.getAccounts();
    const r = await wallet.signDirect(a.address, {
      bodyBytes: Buffer.from(bodyB64, 'base64'), authInfoBytes: Buffer.from(authB64, 'base64'),
      chainId, accountNumber: BigInt(accountNumber),
    });
    return r.signature;
  });
  await page.addInitScript(({ address, pubkey }) => {
    const toBytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const toB64 = (b) => btoa(String.fromCharCode(...b));
    window.__signer = 'bob';
    window.keplr = {
      // Kept across page loads, as the extension keeps suggested chains.
      async experimentalSuggestChain(info) { sessionStorage.setItem('suggested', JSON.stringify(info)); },
      async enable(chainId) {
        const info = JSON.parse(sessionStorage.getItem('suggested') || 'null');
        if (!info || info.chainId !== chainId) throw new Error(`There is no chain info for ${chainId}`);
      },
      async getKey() {
        return { name: 'bob (keplr)', algo: 'secp256k1', pubKey: toBytes(pubkey), bech32Address: address, isNanoLedger: false };
      },
      async signDirect(chainId, signer, doc) {
        if (window.__reject) { window.__reject = false; throw new Error('Request rejected'); }
        const which = window.__signer;
        window.__signer = 'bob';
        const signature = await window.__testSignDirect(which, signer, toB64(doc.bodyBytes), toB64(doc.authInfoBytes),
          chainId, String(doc.accountNumber));
        return { signed: doc, signature };
      },
    };
  }, { address: account.address, pubkey: Buffer.from(account.pubkey).toString('base64') });

  await page.goto(CONSOLE + '/wallet');
  await shot(page, 'k01-wallet.png');
  await page.click('#connect-wallet');
  await page.waitForURL(CONSOLE + '/');
  assert.match(await text(page, 'header .chain'), /bob \(keplr\)/);
  const suggested = await page.evaluate(() => JSON.parse(sessionStorage.getItem('suggested')));
  assert.equal(suggested.bech32Config.bech32PrefixAccAddr, 'akash');
  assert.equal(suggested.currencies[0].coinMinimalDenom, 'uakt');

  await editWithTypo(page, 'k02-typo.png');

  // A deposit above the balance.
  await page.fill('#deposit', '999999999999');
  await page.click('#deploy-button');
  await page.waitForSelector('#deploy-step .error');
  assert.match(await text(page, '#deploy-step'), /Not enough funds: your balance is [\d,.]+ AKT, and the deposit needs 999,999,999,999 AKT/);
  await shot(page, 'k03-deposit-too-high.png');

  // Declined in the wallet: plain words, the form stays, nothing sent.
  await page.fill('#deposit', '5');
  await page.evaluate(() => { window.__reject = true; });
  await page.click('#deploy-button');
  await page.waitForFunction(() => /You declined to sign/.test(document.querySelector('#deploy-step').textContent), null, { timeout: 60_000 });
  await shot(page, 'k04-declined.png');
  // Signed by another key: the chain refuses it.
  await page.evaluate(() => { window.__signer = 'alice'; });
  await page.click('#deploy-button');
  await page.waitForFunction(() => /rejected the signature/.test(document.querySelector('#deploy-step').textContent), null, { timeout: 60_000 });
  await shot(page, 'k05-wrong-key.png');
  assert.match(await page.inputValue('#sdl'), /kumo-demo\/web:1/, 'the SDL is still in the editor');

  const { dseq } = await deployAndRun(page, 'k06');

  // The manage pages (helper D2's) with the same wallet: logs, shell, add funds, close.
  await page.goto(`${CONSOLE}/deployments/${dseq}`);
  await page.waitForSelector('#escrow-balance');
  await page.click('#leases a.lease-link');
  await page.waitForFunction(() => /worker line \d+/.test(document.querySelector('#logs')?.textContent || ''), null, { timeout: 60_000 });
  await shot(page, 'k07-logs.png');
  await page.selectOption('#shell-service', 'web');
  await page.click('#shell-open');
  await page.waitForFunction(() => document.querySelector('#shell-state').dataset.state === 'live', null, { timeout: 30_000 });
  await page.click('#terminal');
  await page.keyboard.type('echo hello-keplr\r');
  await page.waitForFunction(() => {
    const b = window.kumoTerminal.buffer.active;
    for (let i = 0; i < b.length; i++) if ((b.getLine(i)?.translateToString(true) || '').trim() === 'hello-keplr') return true;
    return false;
  }, null, { timeout: 20_000 });
  await shot(page, 'k08-shell.png');
  await page.goto(`${CONSOLE}/deployments/${dseq}`);
  await page.fill('#deposit input[name=amount]', '2');
  await page.click('#deposit button');
  await page.waitForSelector('#deposit-done', { timeout: 60_000 });
  await shot(page, 'k09-funds.png');
  page.once('dialog', (d) => d.accept());
  await page.click('#close button');
  await page.waitForSelector('#close-done', { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('#deployment-state')?.textContent.trim() === 'closed', null, { timeout: 30_000 });
  await shot(page, 'k10-closed.png');
  await page.context().close();
});

test('local-key path: sign in, deploy, run (timed); GPU SDL shows the decline; a provider that stops answering', async () => {
  const page = await newPage();
  await page.goto(CONSOLE + '/wallet');
  await page.selectOption('#local-sign-in select[name=name]', 'alice');
  await page.click('#local-sign-in button[type=submit]');
  await page.waitForURL(CONSOLE + '/');
  assert.match(await text(page, 'header .chain'), /alice/);
  await shot(page, 'l01-deploy-page.png');
  await editWithTypo(page, 'l02-typo.png');
  const { seconds, dseq } = await deployAndRun(page, 'l03');
  figures.console_deploy_to_running_seconds = seconds;
  figures.console_dseq = dseq;

  // A GPU the provider does not have: no bid, and the provider's reason in the page.
  await page.goto(CONSOLE + '/?template=kumo-demo-gpu');
  await page.waitForSelector('#sdl-ok');
  assert.match(await text(page, '#sdl-ok'), /1 GPU \(nvidia a100\)/);
  await page.fill('#deposit', '1');
  await page.click('#deploy-button');
  await page.waitForSelector('#why-table', { timeout: 60_000 });
  const why = await text(page, '#why-table');
  assert.match(why, /decline/);
  assert.match(why, /gpu/i, `the reason names the GPU: ${why}`);
  assert.match(await text(page, '#no-bids'), /No bids yet/);
  await shot(page, 'l04-gpu-why.png');

  // The provider stops answering (SIGSTOP): the next poll says so instead of hanging.
  if (PROVIDER_PID) {
    process.kill(PROVIDER_PID, 'SIGSTOP');
    try {
      await page.waitForFunction(() => /unreachable/.test(document.querySelector('#why-table')?.textContent || ''), null, { timeout: 30_000 });
      assert.match(await text(page, '#why-table'), /no answer within \d+ s/);
      await shot(page, 'l05-provider-down.png');
    } finally {
      process.kill(PROVIDER_PID, 'SIGCONT');
    }
  }
  // Close the running deployment on its page (helper D2's), signed with the local key.
  await page.goto(`${CONSOLE}/deployments/${dseq}`);
  page.once('dialog', (d) => d.accept());
  await page.click('#close button');
  await page.waitForSelector('#close-done', { timeout: 60_000 });
  await page.context().close();
  assert.deepEqual(pageErrors, [], 'no script errors on any page');
});
