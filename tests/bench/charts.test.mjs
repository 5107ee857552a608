// bench/charts.mjs draws the benchmark's charts from the run's own JSON: run on the committed
// bench/results/latest.json, it writes three SVG documents whose points are that run's
// medians (checked for one figure of each chart), and it refuses to run without arguments.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const SCRIPT = 'bench/charts.mjs';
const RUN = 'bench/results/latest.json';

test('charts are drawn from the run they describe', () => {
  const out = mkdtempSync(join(tmpdir(), 'chirp-charts-'));
  execFileSync(process.execPath, [SCRIPT, RUN, out]);
  const run = JSON.parse(readFileSync(RUN, 'utf8'));
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  const svg = (name) => {
    const text = readFileSync(join(out, `${name}.svg`), 'utf8');
    assert.match(text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>[\s\S]*<\/svg>\n$/);
    return text;
  };
  const p99 = median(run.runs.map((r) => r.chirp.fanout_b.result.latency.p99_ms));
  assert.ok(svg('latency').includes(`Chirp p99: ${p99 >= 100 ? p99.toFixed(0) : p99.toFixed(1)} at 10000`), 'the 10,000-socket p99 point');
  const held = median(run.runs.map((r) => r.node.idle.result.rss_kib_held / 1024));
  assert.ok(svg('memory').includes(`Node (Express + socket.io): ${held.toFixed(0)} at `), 'Node RSS at the idle stage');
  const ratios = svg('ratios');
  for (const bar of run.bars.filter((b) => typeof b.ratio === 'number')) {
    assert.ok(ratios.includes(`want ${bar.want.replace(/</g, '&lt;')}`), bar.bar);
  }
  assert.equal((ratios.match(/<rect [^>]*fill="#d9534f"/g) ?? []).length, run.bars.filter((b) => typeof b.ratio === 'number' && !b.met).length);
});

test('without arguments it says how to run it', () => {
  const run = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /usage: node bench\/charts.mjs/);
});
