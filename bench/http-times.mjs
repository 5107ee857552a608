// Times sequential GETs over one keep-alive connection, as the database benchmarks do
// (list_reads.sh, home_sparse.sh, search.sh): 20 warm-up requests, then RUNS timed ones;
// prints the asked quantiles in ms, space-separated. Every answer must be a 200; with
// `--min-items N`, the first must list at least N tweets or users.
//
//   node bench/http-times.mjs --port P --path /api/tweets?limit=20 [--token T] [--runs 200]
//        [--quantiles 0.5,0.9] [--min-items N]
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    port: { type: 'string' },
    path: { type: 'string' },
    token: { type: 'string', default: '' },
    runs: { type: 'string', default: '200' },
    quantiles: { type: 'string', default: '0.5,0.9' },
    'min-items': { type: 'string', default: '0' },
  },
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const headers = o.token ? { authorization: `Bearer ${o.token}` } : {};
const get = () => new Promise((resolve, reject) => {
  const req = http.get({ host: '127.0.0.1', port: o.port, path: o.path, agent, headers }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      if (res.statusCode === 200) resolve(body);
      else reject(new Error(`${o.path}: HTTP ${res.statusCode} ${body}`));
    });
  });
  req.on('error', reject);
});

const first = JSON.parse(await get());
const items = (first.tweets || first.users || []).length;
if (items < Number(o['min-items'])) throw new Error(`${o.path}: ${items} results, expected at least ${o['min-items']}`);
for (let w = 0; w < 19; w++) await get();
const times = [];
for (let r = 0; r < Number(o.runs); r++) {
  const t0 = process.hrtime.bigint();
  await get();
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2);
console.log(o.quantiles.split(',').map((q) => at(Number(q))).join(' '));
agent.destroy();
