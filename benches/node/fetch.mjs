// Node: raw fetch, ky and unifetch side by side, 1 KB GETs from a server in
// its own process, N in flight, rounds interleaved. Prints a markdown table
// of requests per second (median of the rounds) and the ratio to raw fetch.
// unifetch runs twice: as installed (over node:http in Node) and over
// Node's fetch (`transport: 'fetch'`), with every default on (timeouts,
// retries, limits, redirects), reading the body as ky does.
//
//   node fetch.mjs URL [inFlight=16] [rounds=5] [seconds=2]   (scripts/bench-node.sh runs it)
import ky from 'ky';
import uf from 'unifetch';

const [url, inFlight = '16', rounds = '5', seconds = '2'] = process.argv.slice(2);
const width = Number(inFlight);
const overFetch = uf.create({ transport: 'fetch' });

const clients = {
  'raw fetch': async () => {
    const response = await fetch(url);
    await response.arrayBuffer();
  },
  'ky 1.14': async () => {
    await ky.get(url, { retry: 0, timeout: false }).arrayBuffer();
  },
  unifetch: async () => {
    await uf.get(url).arrayBuffer();
  },
  "unifetch (transport: 'fetch')": async () => {
    await overFetch.get(url).arrayBuffer();
  },
};

/** Requests per second of `client` with `width` requests in flight for `seconds`. */
async function rate(client) {
  const until = performance.now() + Number(seconds) * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < until) {
      await client();
      done += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: width }, worker));
  return done / ((performance.now() - started) / 1000);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
for (const client of Object.values(clients)) await rate(client); // warm up
for (let round = 0; round < Number(rounds); round += 1) {
  for (const [name, client] of Object.entries(clients)) results[name].push(await rate(client));
}
const fetchRate = median(results['raw fetch']);
console.log(`| Node ${process.versions.node}, 1 KB GET, ${width} in flight | req/s (median of ${rounds}) | × raw fetch |`);
console.log('| --- | ---: | ---: |');
for (const [name, rates] of Object.entries(results)) {
  const rps = median(rates);
  console.log(`| ${name} | ${Math.round(rps).toLocaleString('en')} | ${(rps / fetchRate).toFixed(2)} |`);
}
