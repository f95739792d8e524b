// The stats pages in headless chromium (playwright-core driving Debian's /usr/bin/chromium)
// against a running `kumo stats serve`: the dashboard's numbers are the /v1/dashboard-data
// numbers, a graph's canvas is painted (pixels read back), 7D | 1M | ALL change what is shown,
// the CSV download holds the JSON's snapshots, the providers, provider and GPU pages render,
// and bad names and addresses get error pages in plain words. A screenshot of each page goes
// to $KUMO_TEST_OUT (or a temp dir printed at the end).
//
//   STATS_URL=http://127.0.0.1:30780 node --test web/tests/stats.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const STATS = (process.env.STATS_URL || 'http://127.0.0.1:30780').replace(/\/$/, '');
const OUT = process.env.KUMO_TEST_OUT || mkdtempSync(join(tmpdir(), 'kumo-stats-browser-'));
mkdirSync(OUT, { recursive: true });
// An account that is not a provider (the devnet's alice by default).
const NOT_A_PROVIDER = process.env.NOT_A_PROVIDER || 'akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0';

let browser;
let page;
const pageErrors = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    // A 4xx page load is expected in the error-page test; script errors are not.
    if (m.type() === 'error' && !/status of 40\d/.test(m.text())) pageErrors.push(`${page.url()}: ${m.text()}`);
  });
});

after(async () => {
  await browser?.close();
  console.log(`screenshots: ${OUT}`);
});

async function json(path) {
  const r = await fetch(STATS + path);
  if (r.status !== 200) assert.fail(`${path} answered ${r.status}: ${await r.text()}`);
  return r.json();
}

const at = (v, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), v);
const shot = (name) => page.screenshot({ path: join(OUT, name), fullPage: true });

test('dashboard: every card shows the /v1/dashboard-data number with its unit', async () => {
  let d = null;
  let cards = [];
  // The index grows every block: read the page and the JSON until both are at one height.
  for (let i = 0; i < 10 && !d; i++) {
    await page.goto(STATS + '/');
    cards = await page.$$eval('[data-field]', (els) => els.map((e) => ({
      field: e.dataset.field,
      value: e.dataset.value,
      scale: Number(e.dataset.scale),
      text: e.querySelector('.num').textContent.trim(),
      unit: e.querySelector('.unit')?.textContent ?? '',
      diff: e.querySelector('.diff')?.className ?? null,
      note: e.querySelector('.note')?.textContent ?? null,
    })));
    const height = await page.getAttribute('#cards', 'data-height');
    const j = await json('/v1/dashboard-data');
    if (String(j.now.height) === height) d = j;
  }
  assert.ok(d, 'the page and /v1/dashboard-data never showed the same height in 10 tries');
  const groups = await page.$$eval('#cards h2', (hs) => hs.map((h) => h.textContent));
  assert.deepEqual(groups, ['Network summary', 'Resources leased', 'Network capacity', 'Spent assets', 'Blockchain']);
  assert.equal(cards.length, 24);
  let compared = 0;
  for (const c of cards) {
    const want = at(d, c.field);
    assert.notEqual(want, undefined, `${c.field} is not in /v1/dashboard-data`);
    if (want === null) {
      assert.equal(c.value, '', c.field);
      assert.equal(c.text, '—', c.field);
      assert.ok(c.note, `${c.field} is null but the card does not say why`);
      continue;
    }
    assert.equal(Number(c.value), want, `${c.field}: data-value ${c.value}, JSON ${want}`);
    // The shown number in its unit is the JSON number to within the last digit shown.
    const decimals = (c.text.split('.')[1] || '').length;
    const shown = Math.abs(Number(c.text.replace(/,/g, '')));
    assert.ok(Number.isFinite(shown), `${c.field}: ${c.text} is not a number`);
    const step = 10 ** -decimals * c.scale;
    assert.ok(Math.abs(shown * c.scale - Math.abs(want)) <= step * 1.0001,
      `${c.field}: shows ${c.text} ${c.unit} (×${c.scale}), JSON ${want}`);
    if (c.field.startsWith('now.')) {
      const before = at(d, 'compare.' + c.field.slice(4));
      if (before !== null) {
        const cls = want > before ? 'up' : want < before ? 'down' : 'flat';
        assert.equal(c.diff, `diff ${cls}`, `${c.field}: ${want} vs ${before}`);
      }
    }
    compared++;
  }
  assert.ok(compared >= 15, `only ${compared} cards had numbers`);
  const usd = cards.find((c) => c.field === 'now.totalUUsdSpent');
  if (d.aktUsdPrice === null) assert.match(usd.note, /--akt-usd/);
  else assert.equal(usd.unit, 'USD');
  const blocks = await page.$$eval('#latest-blocks tbody tr', (rs) => rs.map((r) => r.cells[0].textContent));
  assert.equal(blocks.length, d.latestBlocks.length);
  console.log(`dashboard at height ${d.now.height}: ${compared} cards equal the JSON, ${cards.length - compared} null with a reason`);
  await shot('dashboard.png');
});

async function strokePixels(stroke) {
  return page.$eval('#chart canvas', (canvas, hex) => {
    const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let line = 0;
    let band = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 0) continue;
      if (rgb.every((v, k) => Math.abs(data[i + k] - v) <= 6)) line++;
      else if (data[i] > 225 && data[i] < 250 && data[i + 2] > data[i]) band++;
    }
    return { line, band };
  }, stroke);
}

test('graph: painted chart, 7D | 1M | ALL, in-progress day, CSV = JSON snapshots', async () => {
  await page.goto(STATS + '/');
  await Promise.all([page.waitForURL(/\/graph\/totalLeaseCount$/), page.click('a[data-field="now.totalLeaseCount"]')]);
  await page.waitForSelector('#chart[data-points] canvas');
  const g = await json('/v1/graph-data/totalLeaseCount');
  assert.equal(Number(await page.getAttribute('#current', 'data-value')), g.currentValue);
  const total = g.snapshots.length;
  assert.ok(total >= 1, 'no snapshot');
  await shot('graph-totalLeaseCount.png');
  const stroke = await page.getAttribute('#chart', 'data-stroke');
  assert.match(stroke, /^#[0-9a-f]{6}$/i);
  const px = await strokePixels(stroke);
  assert.ok(px.line > 20, `the series is not painted: ${px.line} pixels of ${stroke}`);
  assert.ok(px.band > 400, `no shaded band for the day in progress (${px.band} pixels)`);
  assert.match(await page.textContent('.u-legend'), /today, in progress/);

  for (const [label, n] of [['7D', 7], ['ALL', 0], ['1M', 30]]) {
    await page.click(`.toggle button:text-is("${label}")`);
    const pressed = await page.$$eval('.toggle button', (bs) => bs.map((b) => [b.textContent, b.getAttribute('aria-pressed')]));
    for (const [t, p] of pressed) assert.equal(p, String(t === label), `${label}: ${t} aria-pressed=${p}`);
    const points = Number(await page.getAttribute('#chart', 'data-points'));
    assert.equal(points, n ? Math.min(n, total) : total, `${label} shows ${points} of ${total} points`);
    assert.ok((await strokePixels(stroke)).line > 20, `${label}: nothing painted`);
  }

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  assert.equal(download.suggestedFilename(), 'kumo-totalLeaseCount.csv');
  const lines = readFileSync(await download.path(), 'utf8').trimEnd().split('\n');
  assert.equal(lines[0], 'Date,Value');
  const after = await json('/v1/graph-data/totalLeaseCount');
  assert.deepEqual(after.snapshots, g.snapshots, 'the series changed during the test; rerun');
  assert.equal(lines.length - 1, g.snapshots.length);
  g.snapshots.forEach((s, i) => {
    const [date, value] = lines[i + 1].split(',');
    assert.equal(date, s.date.slice(0, 10));
    assert.equal(value === '' ? null : Number(value), s.value, `row ${i + 1}`);
  });
  console.log(`graph totalLeaseCount: ${total} snapshots, ${px.line} line pixels, CSV ${lines.length - 1} rows`);

  // A series that grows every block (spend), drawn too.
  await page.goto(STATS + '/graph/totalUActSpent');
  await page.waitForSelector('#chart[data-points] canvas');
  assert.ok((await strokePixels(stroke)).line > 20);
  await shot('graph-totalUActSpent.png');
});

test('providers list, search filter, provider detail', async () => {
  const list = await json('/v1/providers');
  await page.goto(STATS + '/providers');
  const rows = await page.$$eval('tr.provider', (rs) => rs.map((r) => [r.dataset.owner, r.querySelector('.leases').textContent]));
  assert.equal(rows.length, list.length);
  for (const [owner, leases] of rows) {
    const p = list.find((x) => x.owner === owner);
    assert.ok(p, `${owner} is not in /v1/providers`);
    assert.equal(Number(leases.replace(/,/g, '')), p.leaseCount, owner);
  }
  await shot('providers.png');
  if (list.length === 0) return;

  await page.fill('input[name=q]', 'no-such-provider-anywhere');
  await page.waitForSelector('text=No provider matches these filters.');
  assert.match(page.url(), /q=no-such-provider-anywhere/);
  await page.fill('input[name=q]', list[0].owner.slice(-8));
  await page.waitForSelector(`tr.provider[data-owner="${list[0].owner}"]`);

  // From a fresh list, so no filter request is in flight when the link is clicked.
  await page.goto(STATS + '/providers');
  await Promise.all([page.waitForURL(/\/providers\/akash1/), page.click(`tr.provider[data-owner="${list[0].owner}"] a`)]);
  assert.equal(await page.textContent('h1'), list[0].hostUri);
  const detail = await json('/v1/providers/' + list[0].owner);
  const capacity = await page.$$eval('#capacity tbody tr', (rs) => rs.map((r) => r.cells[0].textContent));
  assert.deepEqual(capacity, ['CPU', 'GPU', 'Memory', 'Storage']);
  const attrs = await page.$$eval('#attributes tbody tr', (rs) => rs.map((r) => r.cells[0].textContent));
  assert.deepEqual(attrs, detail.attributes.map((a) => a.key));
  if (Array.isArray(detail.uptime24h) && detail.uptime24h.length) {
    assert.equal(await page.$$eval('#uptime-strip span', (s) => s.length), detail.uptime24h.length);
  }
  if (detail.leaseCount > 0) {
    const active = await page.$$eval('#leases tbody tr', (rs) => rs.filter((r) => r.cells[5].textContent === 'active').length);
    assert.equal(active, detail.leaseCount, 'active leases listed vs leaseCount');
  }
  await shot('provider.png');
});

test('GPU page', async () => {
  const prices = await json('/v1/gpu-prices');
  const r = await page.goto(STATS + '/gpu');
  assert.equal(r.status(), 200);
  assert.equal(await page.textContent('h1'), 'GPUs');
  const models = await page.$$eval('#gpus tbody tr', (rs) => rs.filter((r) => r.cells.length > 2).length);
  assert.ok(models >= prices.models.length, `${models} rows for ${prices.models.length} priced models`);
  await shot('gpu.png');
});

test('bad input: unknown graph 404, malformed address 400, unknown provider 404', async () => {
  let r = await page.goto(STATS + '/graph/noSuchSeries');
  assert.equal(r.status(), 404);
  assert.match(await page.textContent('main'), /There is no graph called "noSuchSeries"/);
  await shot('graph-404.png');
  r = await page.goto(STATS + '/providers/akash1-not-bech32');
  assert.equal(r.status(), 400);
  assert.match(await page.textContent('main'), /is not a provider address/);
  await shot('provider-400.png');
  r = await page.goto(STATS + '/providers/' + NOT_A_PROVIDER);
  assert.equal(r.status(), 404);
  assert.match(await page.textContent('main'), /no provider/i);
});

test('no script errors on any page', () => {
  assert.deepEqual(pageErrors, []);
});
