// Turns one run of bench/compare.sh into a side-by-side Markdown table (Chirp, Node,
// Chirp ÷ Node) and one JSON document.
//
//   node bench/report.mjs META.json RESULTS.jsonl OUT.md OUT.json
//
// RESULTS.jsonl holds one line per (server, stage): the server's CPU and memory around the
// stage, the load tool's CPU, and the tool's own JSON figures under `result`.
import { readFileSync, writeFileSync } from 'node:fs';

const [metaPath, resultsPath, mdPath, jsonPath] = process.argv.slice(2);
if (!jsonPath) {
  console.error('usage: node bench/report.mjs META.json RESULTS.jsonl OUT.md OUT.json');
  process.exit(2);
}
const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
const lines = readFileSync(resultsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

// runs[round][server][stage]. The seed stage's session tokens are of throwaway databases,
// but tokens have no business in a published file.
const runs = {};
for (const l of lines) {
  if (l.result?.token) l.result.token = '(redacted)';
  for (const u of l.result?.users ?? []) u.token = '(redacted)';
  ((runs[l.run ?? 1] ??= {})[l.server] ??= {})[l.stage] = l;
}
const rounds = Object.keys(runs).sort((a, b) => a - b).map((r) => runs[r]);

const [idleN] = meta.suite.idle;
const [faN, faK] = meta.suite.fanout_a;
const [fbN, fbK] = meta.suite.fanout_b;
const [rN, rR, rS] = meta.suite.rate;
const [pN, pK] = meta.suite.polling;
const [, wrkC, wrkS] = meta.suite.wrk;

const num = (x) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const get = (s, stage, path) => path.split('.').reduce((o, k) => (o == null ? null : o[k]), s[stage]);
const perDelivery = (s, stage) => num(get(s, stage, 'result.server.cpu_us_per_delivery'));
const perRequest = (s, stage) => {
  const cpu = num(get(s, stage, 'server_cpu_s'));
  const n = num(get(s, stage, 'result.requests'));
  return cpu != null && n ? (cpu * 1e6) / n : null;
};
const us2ms = (x) => (num(x) == null ? null : x / 1000);
const kib = (x) => (num(x) == null ? null : x / 1024);
const mib = (x) => (num(x) == null ? null : x / 1024);

// [label, unit, getter(server) → number, better: 'lower' | 'higher' | null, 'optional' (left
// out when neither server has it)]
const sections = [
  [`Idle WebSockets (${idleN} held ${meta.suite.idle[1]} s)`, [
    ['server memory per idle socket', 'KiB', (s) => kib(get(s, 'idle', 'result.bytes_per_socket')), 'lower'],
    ['server RSS while holding them', 'MiB', (s) => mib(get(s, 'idle', 'result.rss_kib_held')), 'lower'],
    ['sockets dropped while held', '', (s) => [get(s, 'idle', 'result.disconnected')], null],
  ]],
  ...[['fanout_a', faN, faK], ['fanout_b', fbN, fbK]].map(([st, n, k]) => [
    `Fan-out: ${n} sockets × ${k} tweets, one at a time`, [
      ['delivery latency p50', 'ms', (s) => get(s, st, 'result.latency.p50_ms'), 'lower'],
      ['delivery latency p99', 'ms', (s) => get(s, st, 'result.latency.p99_ms'), 'lower'],
      ['time to the last delivery, median', 'ms', (s) => get(s, st, 'result.time_to_last.p50_ms'), 'lower'],
      ['time to the last delivery, worst', 'ms', (s) => get(s, st, 'result.time_to_last.max_ms'), 'lower'],
      ['server CPU per delivery', 'µs', (s) => perDelivery(s, st), 'lower'],
      ['missed / to the author / duplicates', '', (s) => triple(s, st), null],
    ]]),
  [`Sustained posting: ${rN} sockets, ${rR} tweets/s for ${rS} s (open loop, ${rN * rR} deliveries/s offered)`, [
    ['deliveries per second achieved', '/s', (s) => get(s, 'rate', 'result.deliveries_per_s'), 'higher'],
    ['delivery latency p50 (from the scheduled post)', 'ms', (s) => get(s, 'rate', 'result.latency.p50_ms'), 'lower'],
    ['delivery latency p99', 'ms', (s) => get(s, 'rate', 'result.latency.p99_ms'), 'lower'],
    ['deliveries still owed when posting stopped', '', (s) => get(s, 'rate', 'result.behind_at_end'), 'lower'],
    ['backlog drained after posting stopped', 'ms', (s) => get(s, 'rate', 'result.drain_ms'), 'lower'],
    ['server CPU per delivery', 'µs', (s) => perDelivery(s, 'rate'), 'lower'],
    ['missed / to the author / duplicates', '', (s) => triple(s, 'rate'), null],
  ]],
  [`Long-polling: ${pN} clients × ${pK} tweets`, [
    ['delivery latency p50', 'ms', (s) => get(s, 'polling', 'result.latency.p50_ms'), 'lower'],
    ['delivery latency p99', 'ms', (s) => get(s, 'polling', 'result.latency.p99_ms'), 'lower'],
    ['time to the last delivery, median', 'ms', (s) => get(s, 'polling', 'result.time_to_last.p50_ms'), 'lower'],
    ['server memory per polling client (fresh process)', 'KiB', (s) => kib(get(s, 'polling', 'result.bytes_per_client')), 'lower'],
    ['server CPU per delivery', 'µs', (s) => perDelivery(s, 'polling'), 'lower'],
    ['missed / to the author / duplicates', '', (s) => triple(s, 'polling'), null],
  ]],
  ...[['http_get', 'GET /api/tweets?limit=20'], ['http_post', 'POST /api/tweets (bearer token)']].map(([st, what]) => [
    `HTTP: ${what}, wrk ${wrkC} connections × ${wrkS} s`, [
      ['requests per second', '/s', (s) => get(s, st, 'result.requests_per_s'), 'higher'],
      ['latency p50', 'ms', (s) => us2ms(get(s, st, 'result.latency_us.p50')), 'lower'],
      ['latency p99', 'ms', (s) => us2ms(get(s, st, 'result.latency_us.p99')), 'lower'],
      ['server CPU per request', 'µs', (s) => perRequest(s, st), 'lower'],
      ['non-2xx answers / socket errors', '', (s) => httpErrors(s, st), null],
    ]]),
  ...(meta.suite.home ? [[`Home timelines: ${meta.suite.home[0]} signed-in sockets watching home, each following ${meta.suite.home[2]} of ${meta.suite.home[1]} authors (Zipf-like), ${meta.suite.home[4]} tweets/s for ${meta.suite.home[5]} s; ${meta.suite.home[3]} seeded tweets (fresh process)`, [
    ['server memory per home-watching socket', 'KiB', (s) => kib(get(s, 'home', 'result.bytes_per_socket')), 'lower'],
    ['delivery latency p50', 'ms', (s) => get(s, 'home', 'result.latency.p50_ms'), 'lower'],
    ['delivery latency p99', 'ms', (s) => get(s, 'home', 'result.latency.p99_ms'), 'lower'],
    ['server CPU per delivery', 'µs', (s) => perDelivery(s, 'home'), 'lower'],
    ['deliveries checked against the follow graph', '', (s) => [get(s, 'home', 'result.delivered'), get(s, 'home', 'result.expected')], null],
    ['missed / wrong recipient / duplicated / to the author', '', (s) => homeCounts(s), null],
    [`GET /api/timelines/home?limit=20 (rotating users), requests per second`, '/s', (s) => get(s, 'http_home', 'result.requests_per_s'), 'higher'],
    ['GET /api/timelines/home latency p50', 'ms', (s) => us2ms(get(s, 'http_home', 'result.latency_us.p50')), 'lower'],
    ['GET /api/timelines/home latency p99', 'ms', (s) => us2ms(get(s, 'http_home', 'result.latency_us.p99')), 'lower'],
    ['GET /api/timelines/home: server CPU per request', 'µs', (s) => perRequest(s, 'http_home'), 'lower'],
    ['GET /api/timelines/home: non-2xx answers / socket errors', '', (s) => httpErrors(s, 'http_home'), null],
    ['peak server RSS (VmHWM), home process', 'MiB', (s) => mib(get(s, 'total_home', 'server_hwm_kib')), 'lower'],
  ]]] : []),
  ...(meta.suite.soak ? [[`Soak: ${meta.suite.soak[0]} sockets held ${meta.suite.soak[1]} s, then one tweet to all (first round)`, [
    ['sockets connected', '', (s) => get(s, 'soak', 'result.connect.connected'), null],
    ['dropped while held / missed / to the author', '', (s) => soakCounts(s), null],
    ['time to the last delivery', 'ms', (s) => get(s, 'soak', 'result.time_to_last.max_ms'), 'lower'],
    ['server RSS holding them', 'MiB', (s) => mib(get(s, 'soak', 'result.server.rss_kib_after')), 'lower'],
  ]]] : []),
  ...(meta.suite.cluster ? [[`Cluster: ${meta.suite.cluster[0]} nodes of each on one box (Chirp: one PostgreSQL database + Redis; Node: one shared SQLite file + @socket.io/redis-adapter on Redis), wrk on every node at once, ${meta.suite.cluster[1]} connections each × ${meta.suite.cluster[2]} s, after Chirp's settle period`,
    [['cluster_get', 'GET /api/tweets?limit=20'], ['cluster_post', 'POST /api/tweets']].flatMap(([st, what]) => [
      [`${what}: requests per second, all nodes`, '/s', (s) => get(s, st, 'result.requests_per_s'), 'higher'],
      [`${what}: latency p50, slower node`, 'ms', (s) => us2ms(get(s, st, 'result.latency_us.p50')), 'lower'],
      [`${what}: latency p99, slower node`, 'ms', (s) => us2ms(get(s, st, 'result.latency_us.p99')), 'lower'],
      [`${what}: server CPU per request, all nodes`, 'µs', (s) => perRequest(s, st), 'lower'],
      [`${what}: CPU per request, nodes + PostgreSQL backends + Redis`, 'µs', (s) => perRequestAll(s, st), 'lower'],
      [`${what}: non-2xx answers / socket errors`, '', (s) => httpErrors(s, st), null],
    ]).concat([
      ['Chirp cache hits: first page during the GETs / sessions during the POSTs', '', (s) => cacheHits(s), null],
      ['peak RSS (VmHWM), all nodes together', 'MiB', (s) => mib(get(s, 'total_cluster', 'server_hwm_kib')), 'lower'],
    ])]] : []),
  ['Whole run', [
    ['peak server RSS (VmHWM), main process', 'MiB', (s) => mib(get(s, 'total_main', 'server_hwm_kib')), 'lower', 'optional'],
    ['peak server RSS (VmHWM), long-polling process', 'MiB', (s) => mib(get(s, 'total_polling', 'server_hwm_kib')), 'lower', 'optional'],
    ['server CPU, all processes', 's', (s) => sum(get(s, 'total_main', 'server_cpu_s'), get(s, 'total_polling', 'server_cpu_s'), get(s, 'total_home', 'server_cpu_s'), get(s, 'total_cluster', 'server_cpu_s')), 'lower'],
    ['load tools\' CPU (loadgen + wrk) per round', 's', (s) => toolCpu(s), null],
  ]],
];

// The cluster stages also count what the nodes lean on: Redis, and PostgreSQL's backends for
// Chirp (Node's SQLite work is inside its processes).
function perRequestAll(s, st) {
  const cpu = sum(num(get(s, st, 'server_cpu_s')), num(get(s, st, 'aux_cpu_s')));
  const n = num(get(s, st, 'result.requests'));
  return cpu != null && n ? (cpu * 1e6) / n : null;
}
function cacheHits(s) {
  const g = s.cluster_get?.cache_hits;
  const p = s.cluster_post?.cache_hits;
  return g || p ? [g?.first_page ?? null, p?.sessions ?? null] : null;
}
function sum(...xs) {
  const ok = xs.filter((x) => num(x) != null);
  return ok.length ? ok.reduce((a, b) => a + b, 0) : null;
}
// Count rows give arrays of counts, summed over the rounds.
function soakCounts(s) {
  const r = s.soak?.result;
  if (!r) return null;
  return [r.disconnected ?? null, r.missed ?? null, r.to_author ?? null];
}
function homeCounts(s) {
  const r = s.home?.result;
  if (!r) return null;
  return [r.missed ?? null, r.wrong_recipient ?? null, r.duplicates ?? null, r.to_author ?? null];
}
function triple(s, st) {
  const r = s[st]?.result;
  if (!r) return null;
  return [r.missed ?? null, r.to_author ?? null, r.duplicates ?? null];
}
function httpErrors(s, st) {
  const e = s[st]?.result?.errors;
  if (!e) return null;
  return [e.status, e.connect + e.read + e.write + e.timeout];
}
function toolCpu(s) {
  const stages = Object.values(s).filter((x) => num(x.tool_cpu_s) != null);
  return stages.length ? stages.reduce((a, x) => a + x.tool_cpu_s, 0) : null;
}

function fmt(x) {
  if (x == null) return '–';
  if (typeof x === 'string') return x;
  if (Number.isInteger(x) && Math.abs(x) < 1000) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
function ratio(c, n) {
  if (num(c) == null || num(n) == null || n === 0) return null;
  return c / n;
}
const fmtRatio = (r) => (r == null ? '–' : `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`);

/** One figure over the rounds: the median of numbers, the sum of count arrays. */
function across(fn, server) {
  const vals = rounds.map((r) => fn(r[server] ?? {})).filter((v) => v != null);
  if (!vals.length) return null;
  if (Array.isArray(vals[0])) {
    const sums = vals[0].map((_, i) => vals.reduce((a, v) => (v[i] == null ? a : (a ?? 0) + v[i]), null));
    return sums.map((x) => (x == null ? '–' : String(x))).join(' / ');
  }
  const nums = vals.map(Number).filter(Number.isFinite).sort((a, b) => a - b);
  if (!nums.length) return null;
  const m = nums.length >> 1;
  return nums.length % 2 ? nums[m] : (nums[m - 1] + nums[m]) / 2;
}

const json = { meta, rows: [], bars: [], runs: rounds };
const md = [];
md.push(`Run ${meta.date}${meta.quick ? ' (**--quick**: a smoke test, not the published suite)' : ''}: ` +
  `${meta.rounds ?? 1} round${(meta.rounds ?? 1) > 1 ? 's, each figure the median of the rounds' : ''}, ${meta.seconds} s. ` +
  `Chirp ${meta.chirp_commit}${meta.rebuilt === false ? ' (HEAD; --no-build: the binary may be older)' : ''} (${meta.rustc}); Node ${meta.node} with ` +
  Object.entries(meta.node_packages).map(([k, v]) => `${k} ${v}`).join(', ') + '. ' +
  `${meta.cores} cores (${meta.cpu}), ${meta.memory_gib} GiB, ${meta.os}, Linux ${meta.kernel}.`);
if (num(meta.machine_busy_cpu_s) != null) {
  let ours = 0;
  for (const l of lines) ours += (l.stage.startsWith('total_') ? (l.server_cpu_s || 0) + (l.aux_cpu_s || 0) : l.tool_cpu_s) || 0;
  const other = Math.max(0, meta.machine_busy_cpu_s - ours);
  md.push('');
  md.push(`The cores were busy for ${fmt(meta.machine_busy_cpu_s)} CPU-s during the run: ${fmt(ours)} by the ` +
    `servers and load tools, ${fmt(other)} (${Math.round((100 * other) / (meta.seconds * meta.cores))}% of the ` +
    `machine) by other work sharing it; load average ${meta.loadavg_start} at the start, ${meta.loadavg_end} at the end.`);
}
md.push('');
md.push('↓ lower is better, ↑ higher is better; ✓ where Chirp does better than Node.');
md.push('');
md.push('| measure | Chirp | Node | Chirp ÷ Node |');
md.push('|---|---:|---:|---:|');
for (const [title, rows] of sections) {
  // A section no server ran (compare.sh --home-only, --no-home) is left out.
  const empty = (v) => v == null || (typeof v === 'string' && /^[–\s/]*$/.test(v));
  if (rows.every(([, , fn]) => empty(across(fn, 'chirp')) && empty(across(fn, 'node')))) continue;
  md.push(`| **${title}** | | | |`);
  for (const [label, unit, fn, better, optional] of rows) {
    const c = across(fn, 'chirp');
    const n = across(fn, 'node');
    if (optional && empty(c) && empty(n)) continue; // of stages this run left out
    const r = better ? ratio(c, n) : null;
    const mark = r == null ? '' : (better === 'lower' ? r < 1 : r > 1) ? ' ✓' : '';
    const tags = [unit, better === 'lower' ? '↓' : better === 'higher' ? '↑' : ''].filter(Boolean).join(', ');
    md.push(`| ${label}${tags ? ` (${tags})` : ''} | ${fmt(c)} | ${fmt(n)} | ${fmtRatio(r)}${mark} |`);
    json.rows.push({ section: title, measure: label, unit, better, chirp: c, node: n, ratio: r });
  }
}

// The bars the issues set, judged on the medians, with each round's own ratio beside them.
const bar = (name, fn, test, want) => {
  const r = ratio(across(fn, 'chirp'), across(fn, 'node'));
  const each = rounds.map((x) => ratio(fn(x.chirp ?? {}), fn(x.node ?? {})));
  const ok = r == null ? null : test(r);
  if (r == null && each.every((x) => x == null)) return; // a stage this run left out
  json.bars.push({ bar: name, want, ratio: r, rounds: each, met: ok });
  const spread = rounds.length > 1 ? ` (rounds: ${each.map(fmtRatio).join(', ')})` : '';
  md.push(`| ${name} | ${want} | ${fmtRatio(r)}${spread} | ${ok == null ? '–' : ok ? 'met' : '**not met**'} |`);
};
md.push('');
md.push('| bar (Chirp ÷ Node, this run) | wanted | measured | |');
md.push('|---|---|---:|---|');
const rps = (st) => (s) => get(s, st, 'result.requests_per_s');
const p99 = (st) => (s) => get(s, st, 'result.latency_us.p99');
bar('GET /api/tweets?limit=20: requests/s', rps('http_get'), (r) => r >= 8, '≥ 8×');
bar('GET /api/tweets?limit=20: p99 latency', p99('http_get'), (r) => r < 1, '< 1×');
bar('POST /api/tweets: requests/s', rps('http_post'), (r) => r >= 4, '≥ 4×');
bar('POST /api/tweets: p99 latency', p99('http_post'), (r) => r < 1, '< 1×');
bar('server memory per idle WebSocket', (s) => get(s, 'idle', 'result.bytes_per_socket'), (r) => r <= 1 / 6, '≤ ⅙ (0.17×)');
bar('server CPU per delivery, sustained posting', (s) => perDelivery(s, 'rate'), (r) => r <= 0.5, '≤ ½');
bar(`time to the last of ${fbN} deliveries (median)`, (s) => get(s, 'fanout_b', 'result.time_to_last.p50_ms'), (r) => r <= 0.5, '≤ ½');

if (meta.suite.home) {
  bar('home: server memory per home-watching socket', (s) => get(s, 'home', 'result.bytes_per_socket'), (r) => r <= 1 / 6, '≤ ⅙ (0.17×)');
  bar('home: server CPU per delivery', (s) => perDelivery(s, 'home'), (r) => r <= 0.5, '≤ ½');
  bar('home: delivery p99', (s) => get(s, 'home', 'result.latency.p99_ms'), (r) => r <= 0.5, '≤ ½');
  bar(`GET /api/timelines/home at ${meta.suite.home[3]} tweets: requests/s`, rps('http_home'), (r) => r >= 4, '≥ 4×');
  bar('GET /api/timelines/home: p99 latency', p99('http_home'), (r) => r < 1, '< 1×');
}

// Issue 13's cluster bars: two nodes of each, wrk on both at once.
if (meta.suite.cluster) {
  bar('cluster reads (GET /api/tweets?limit=20, all nodes): requests/s', rps('cluster_get'), (r) => r >= 8, '≥ 8×');
  bar('cluster writes (POST /api/tweets, all nodes): requests/s', rps('cluster_post'), (r) => r >= 3, '≥ 3×');
  bar('cluster reads: p99 latency (slower node)', p99('cluster_get'), (r) => r < 1, '< 1×');
  bar('cluster writes: p99 latency (slower node)', p99('cluster_post'), (r) => r < 1, '< 1×');
}

// Pass/fail rows of issue 6 that are not ratios: judged on Chirp alone.
const check = (name, want, ok, detail) => {
  json.bars.push({ bar: name, want, met: ok, detail });
  md.push(`| ${name} | ${want} | ${detail} | ${ok == null ? '–' : ok ? 'met' : '**not met**'} |`);
};
if (meta.suite.soak) {
  const r = rounds.map((x) => x.chirp?.soak?.result).find(Boolean);
  check(`Chirp: ${meta.suite.soak[0]} sockets held ${meta.suite.soak[1]} s, then one tweet to all`, 'all delivered, no disconnects',
    r ? r.connect.connected === meta.suite.soak[0] && r.missed === 0 && r.disconnected === 0 : null,
    r ? `${r.delivered}/${r.connect.wanted} delivered, ${r.disconnected} dropped` : '–');
}
if (rounds.some((x) => x.chirp?.polling)) {
  const rs = rounds.map((x) => x.chirp?.polling?.result).filter(Boolean);
  const missed = rs.reduce((a, r) => a + (r.missed ?? 0) + (r.connect.failed ?? 0), 0);
  const delivered = rs.reduce((a, r) => a + (r.delivered ?? 0), 0);
  check(`Chirp: ${pN} long-polling clients`, 'every tweet delivered', rs.length ? missed === 0 : null,
    rs.length ? `${delivered} delivered, ${missed} missed or not connected` : '–');
}

if (meta.suite.home) {
  const rs = rounds.map((x) => x.chirp?.home?.result).filter(Boolean);
  const bad = rs.reduce((a, r) => a + (r.missed ?? 0) + (r.wrong_recipient ?? 0) + (r.duplicates ?? 0) + (r.to_author ?? 0) + (r.connect?.failed ?? 0), 0);
  const delivered = rs.reduce((a, r) => a + (r.delivered ?? 0), 0);
  check(`Chirp: home stage checked against the follow graph`, '0 missed, 0 wrong, 0 duplicated, 0 to the author', rs.length ? bad === 0 : null,
    rs.length ? `${delivered} delivered, ${bad} missed, wrong, duplicated, to the author or not connected` : '–');
}

writeFileSync(mdPath, md.join('\n') + '\n');
writeFileSync(jsonPath, JSON.stringify(json, null, 2) + '\n');
