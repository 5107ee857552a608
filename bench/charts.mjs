// Draws the headline comparisons of one bench/compare.sh run as SVG charts, from the same
// run's JSON (bench/results/latest.json), so the pictures and the table never disagree:
//
//   node bench/charts.mjs bench/results/latest.json OUT_DIR
//
// - latency.svg: delivery latency (p50, p99, worst) against the number of sockets a tweet
//   reaches (the fan-out stages and the soak), Chirp and Node, log scale;
// - memory.svg: server RSS against the number of idle WebSockets held (before, at the idle
//   stage's count, at the soak's);
// - ratios.svg: every bar of the table, Chirp ÷ Node (log scale, 1 = as good as Node).
//
// Each figure is the median over the run's rounds. Plain SVG, no library: axes, lines, bars.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [jsonPath, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node bench/charts.mjs LATEST.json OUT_DIR');
  process.exit(2);
}
const run = JSON.parse(readFileSync(jsonPath, 'utf8'));
mkdirSync(outDir, { recursive: true });

const COLOURS = { chirp: '#1d9bf0', node: '#6b7280' };
const NAMES = { chirp: 'Chirp', node: 'Node (Express + socket.io)' };
const W = 720;
const H = 420;
const M = { top: 56, right: 24, bottom: 64, left: 72 };

/** The median over rounds of `pick(stageRecord)` for one server; null when no round has it. */
function median(server, stage, pick) {
  const values = run.runs
    .map((round) => round[server]?.[stage])
    .filter(Boolean)
    .map(pick)
    .filter((x) => typeof x === 'number' && Number.isFinite(x))
    .sort((a, b) => a - b);
  if (!values.length) return null;
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2));

function frame(title, subtitle, body) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${M.left}" y="22" font-size="15" font-weight="600">${esc(title)}</text>
<text x="${M.left}" y="40" fill="#555">${esc(subtitle)}</text>
${body}
</svg>
`;
}

/** A scale from [lo, hi] to [a, b]; logarithmic when `log`. */
function scale(lo, hi, a, b, log) {
  const f = log ? Math.log10 : (x) => x;
  const [flo, fhi] = [f(lo), f(hi)];
  return (x) => a + ((f(x) - flo) / (fhi - flo || 1)) * (b - a);
}

/** Round ticks for an axis: powers of ten (log) or five even steps. */
function ticks(lo, hi, log) {
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const k of [1, 2, 5]) out.push(k * 10 ** e);
    }
    return out;
  }
  const step = 10 ** Math.floor(Math.log10((hi - lo) / 5 || 1));
  const nice = [1, 2, 5, 10].map((k) => k * step).find((s) => (hi - lo) / s <= 6);
  const out = [];
  for (let t = Math.ceil(lo / nice) * nice; t <= hi + 1e-9; t += nice) out.push(t);
  return out;
}

function legend(items) {
  return items
    .map(([label, colour, dash], i) => {
      const x = M.left + 16;
      const y = M.top + 10 + i * 16;
      return `<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${colour}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/><text x="${x + 30}" y="${y + 4}">${esc(label)}</text>`;
    })
    .join('\n');
}

/** A line chart: `series` = [{label, colour, dash, points: [[x, y]]}]. */
function lines({ title, subtitle, xLabel, yLabel, series, logY, logX }) {
  const pts = series.flatMap((s) => s.points);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1] = [logX ? Math.min(...xs) : 0, Math.max(...xs)];
  const [y0, y1] = logY ? [Math.min(...ys) / 1.5, Math.max(...ys) * 1.5] : [0, Math.max(...ys) * 1.1];
  const sx = scale(x0, x1, M.left, W - M.right - 10, logX);
  const sy = scale(y0, y1, H - M.bottom, M.top + 8, logY);
  const grid = ticks(y0, y1, logY)
    .filter((t) => t >= y0 && t <= y1)
    .map((t) => `<line x1="${M.left}" x2="${W - M.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/><text x="${M.left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`)
    .join('\n');
  const xTicks = [...new Set(xs)]
    .map((t) => `<text x="${sx(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${t.toLocaleString('en')}</text>`)
    .join('\n');
  const paths = series
    .map((s) => {
      const d = s.points.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      const dots = s.points.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.colour}"><title>${esc(`${s.label}: ${fmt(y)} at ${x}`)}</title></circle>`).join('');
      return `<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>${dots}`;
    })
    .join('\n');
  const axes = `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>
<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>
<text x="${(M.left + W - M.right) / 2}" y="${H - 22}" text-anchor="middle">${esc(xLabel)}</text>
<text transform="translate(18 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`;
  return frame(title, subtitle, [grid, xTicks, axes, paths, legend(series.map((s) => [s.label, s.colour, s.dash]))].join('\n'));
}

/** Horizontal bars of Chirp ÷ Node ratios, log scale, with the bar each must clear. */
function ratioBars({ title, subtitle, bars }) {
  const rowH = 20;
  const height = M.top + 20 + bars.length * rowH + 40;
  const left = 330;
  const lo = Math.min(0.01, ...bars.map((b) => b.ratio));
  const hi = Math.max(20, ...bars.map((b) => b.ratio));
  const sx = scale(lo, hi, left, W - M.right - 130, true);
  const rows = bars
    .map((b, i) => {
      const y = M.top + 20 + i * rowH;
      const x1 = sx(1);
      const xr = sx(b.ratio);
      const colour = b.met ? COLOURS.chirp : '#d9534f';
      return `<text x="${left - 8}" y="${y + 13}" text-anchor="end">${esc(b.bar.length > 46 ? `${b.bar.slice(0, 45)}…` : b.bar)}</text>
<rect x="${Math.min(x1, xr).toFixed(1)}" y="${y + 3}" width="${Math.abs(xr - x1).toFixed(1)}" height="${rowH - 6}" fill="${colour}"><title>${esc(`${b.bar}: ${fmt(b.ratio)}× (want ${b.want})`)}</title></rect>
<text x="${(Math.max(x1, xr) + 4).toFixed(1)}" y="${y + 13}" fill="#333">${fmt(b.ratio)}× (want ${esc(b.want)})</text>`;
    })
    .join('\n');
  const axis = ticks(lo, hi, true)
    .filter((t) => t >= lo && t <= hi && Number.isInteger(Math.round(Math.log10(t) * 1000) / 1000))
    .map((t) => `<line x1="${sx(t)}" x2="${sx(t)}" y1="${M.top + 14}" y2="${height - 36}" stroke="${t === 1 ? '#333' : '#eee'}"/><text x="${sx(t)}" y="${height - 22}" text-anchor="middle">${fmt(t)}×</text>`)
    .join('\n');
  return frame(title, subtitle, `${axis}\n${rows}`).replace(`height="${H}" viewBox="0 0 ${W} ${H}"`, `height="${height}" viewBox="0 0 ${W} ${height}"`);
}

const meta = run.meta;
const when = `${meta.date.slice(0, 10)}, ${meta.cores} cores, ${meta.rounds} round${meta.rounds > 1 ? 's' : ''}, Chirp ${meta.chirp_commit}; median of rounds`;

// Latency against the number of sockets a tweet reaches.
const fanStages = [['fanout_a', 'fanout_a'], ['fanout_b', 'fanout_b'], ['soak', 'soak']].filter(([st]) => median('chirp', st, (r) => r.result?.sockets) != null);
const latencySeries = ['chirp', 'node'].flatMap((server) => [
  ['p50', (r) => r.result.latency.p50_ms, null],
  ['p99', (r) => r.result.latency.p99_ms, '6 3'],
].map(([pct, pick, dash]) => ({
  label: `${NAMES[server]} ${pct}`,
  colour: COLOURS[server],
  dash,
  points: fanStages
    .map(([st]) => [median(server, st, (r) => r.result?.sockets), median(server, st, pick)])
    .filter(([x, y]) => x != null && y != null),
})));
writeFileSync(join(outDir, 'latency.svg'), lines({
  title: 'Delivery latency against the number of sockets a tweet reaches',
  subtitle: when,
  xLabel: 'sockets receiving each tweet (fan-out stages and the soak)',
  yLabel: 'latency, ms (log scale)',
  series: latencySeries.filter((s) => s.points.length),
  logY: true,
  logX: true,
}));

// RSS against idle sockets held.
const memorySeries = ['chirp', 'node'].map((server) => ({
  label: NAMES[server],
  colour: COLOURS[server],
  points: [
    [0, median(server, 'idle', (r) => r.result.rss_kib_before / 1024)],
    [median(server, 'idle', (r) => r.result.sockets), median(server, 'idle', (r) => r.result.rss_kib_held / 1024)],
  ].filter(([x, y]) => x != null && y != null),
}));
const perSocket = ['chirp', 'node'].map((s) => `${NAMES[s].split(' ')[0]} ${fmt(median(s, 'idle', (r) => r.result.bytes_per_socket / 1024) ?? NaN)} KiB/socket`).join(', ');
writeFileSync(join(outDir, 'memory.svg'), lines({
  title: `Server RSS against idle WebSockets held (${perSocket})`,
  subtitle: when,
  xLabel: 'idle WebSockets held',
  yLabel: 'RSS, MiB',
  series: memorySeries.filter((s) => s.points.length),
}));

// Every bar of the table.
const bars = (run.bars ?? []).filter((b) => typeof b.ratio === 'number' && b.ratio > 0);
writeFileSync(join(outDir, 'ratios.svg'), ratioBars({
  title: 'Chirp ÷ Node, every bar of the table',
  subtitle: `${when}; red: not met`,
  bars,
}));
console.log(`wrote latency.svg, memory.svg and ratios.svg to ${outDir}`);
