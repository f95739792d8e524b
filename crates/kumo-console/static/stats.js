// The graph page's chart: fetches the page's /v1 JSON route and draws it with uPlot, one
// point per UTC day; the last point is today, still in progress, so its segment is dashed
// inside a shaded band labelled as such. 7D | 1M | ALL show the last 7, 30 or all points.
(function () {
  'use strict';
  const box = document.getElementById('chart');
  if (!box || typeof uPlot === 'undefined') return;
  const scale = Number(box.dataset.scale) || 1;
  const unit = box.dataset.unit || '';
  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const stroke = color('--accent', '#2f6feb');
  const band = color('--band', '#eef1f5');
  const muted = color('--muted', '#5d6673');
  const line = color('--line', '#dfe3e8');
  const DAY = 86400;
  const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  const show = (v) => (v == null ? '—' : number.format(v) + (unit ? ' ' + unit : ''));
  let snapshots = [];
  let plot = null;

  function data(n) {
    const shown = n > 0 ? snapshots.slice(-n) : snapshots;
    const xs = shown.map((s) => Date.parse(s.date) / 1000);
    const ys = shown.map((s) => (s.value == null ? null : s.value / scale));
    const last = ys.length - 1;
    // Closed days solid; the step into today (and today's point) dashed.
    const closed = ys.map((y, i) => (i < last ? y : null));
    const today = ys.map((y, i) => (i >= last - 1 ? y : null));
    return [xs, closed, today];
  }

  // The shaded band over the day in progress, under the series.
  function drawToday(u) {
    const xs = u.data[0];
    if (!xs.length) return;
    const last = xs[xs.length - 1];
    const from = xs.length > 1 ? xs[xs.length - 2] : last - DAY / 2;
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const x0 = Math.max(left, u.valToPos(from, 'x', true));
    const x1 = Math.min(left + width, u.valToPos(last + DAY / 2, 'x', true));
    ctx.save();
    ctx.fillStyle = band;
    ctx.fillRect(x0, top, x1 - x0, height);
    ctx.fillStyle = muted;
    ctx.font = Math.round(12 * uPlot.pxRatio) + 'px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.fillText('today, in progress', x1 - 6 * uPlot.pxRatio, top + 16 * uPlot.pxRatio);
    ctx.restore();
  }

  function render(n) {
    const d = data(n);
    const width = Math.max(300, box.clientWidth - 24);
    const opts = {
      width,
      height: 400,
      scales: {
        // From the data, half a day each side (uPlot widens a lone point to 86,400,000 s).
        x: { time: true, range: (u) => [u.data[0][0] - DAY / 2, u.data[0][u.data[0].length - 1] + DAY / 2] },
        y: {
          range: (u, min, max) => {
            const lo = Math.min(0, min ?? 0);
            const hi = max == null || max <= lo ? lo + 1 : max * 1.1;
            return [lo, hi];
          },
        },
      },
      axes: [
        {
          stroke: muted,
          grid: { stroke: line },
          ticks: { stroke: line },
          space: 70,
          // Whole UTC days only: one point per day.
          incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY],
          values: (u, splits) => splits.map((v) => new Date(v * 1000).toISOString().slice(0, 10)),
        },
        {
          stroke: muted,
          grid: { stroke: line },
          ticks: { stroke: line },
          size: 70,
          label: unit,
          values: (u, splits) => splits.map((v) => number.format(v)),
        },
      ],
      series: [
        { label: 'Date', value: (u, v) => (v == null ? '—' : new Date(v * 1000).toISOString().slice(0, 10)) },
        {
          label: 'closed days',
          stroke,
          width: 2,
          value: (u, v) => show(v),
          points: { show: true, size: 9, fill: stroke, stroke },
        },
        {
          label: 'today, in progress',
          stroke,
          width: 2,
          dash: [6, 4],
          value: (u, v) => show(v),
          points: { show: true, size: 9, fill: stroke, stroke },
        },
      ],
      hooks: { drawClear: [drawToday] },
    };
    if (plot) plot.destroy();
    plot = new uPlot(opts, d, box);
    box.dataset.points = String(d[0].length);
    box.dataset.range = n > 0 ? String(n) : 'all';
    box.dataset.stroke = stroke;
  }

  const buttons = Array.from(document.querySelectorAll('.toggle [data-n]'));
  const pressed = () => buttons.find((b) => b.getAttribute('aria-pressed') === 'true');
  for (const b of buttons) {
    b.addEventListener('click', () => {
      for (const o of buttons) o.setAttribute('aria-pressed', String(o === b));
      render(Number(b.dataset.n));
    });
  }
  window.addEventListener('resize', () => {
    if (plot) plot.setSize({ width: Math.max(300, box.clientWidth - 24), height: 400 });
  });

  fetch(box.dataset.src, { headers: { accept: 'application/json' } })
    .then((r) => r.json().then((j) => [r, j]))
    .then(([r, j]) => {
      if (!r.ok) throw new Error(j.message || r.status + ' ' + r.statusText);
      snapshots = j.snapshots || [];
      if (!snapshots.length) {
        box.innerHTML = '<p class="notice">No day indexed yet: nothing to draw.</p>';
        return;
      }
      const b = pressed();
      render(b ? Number(b.dataset.n) : 0);
    })
    .catch((e) => {
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = 'The chart could not load ' + box.dataset.src + ': ' + e.message;
      box.replaceChildren(p);
    });
})();
