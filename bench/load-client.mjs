// The load generator of bench/api.mjs, in a child process: it does not share the event loop of
// the servers it measures, and the CPU time of the bench's own process is then the servers'
// alone. For each message { url, headers, body, clients, seconds } it
// keeps `clients` keep-alive connections busy, one request at a time each, for `seconds`, and
// answers with what it measured: { count, seconds, latencies (ms), failures }.
import http from 'node:http';
import { httpRequest } from './http.mjs';
import { performance } from 'node:perf_hooks';

// one keep-alive pool per server, kept across rounds: a bench of the servers, not of TCP handshakes
const agents = new Map();
const agentOf = (origin, clients) => {
  if (!agents.has(origin)) agents.set(origin, new http.Agent({ keepAlive: true, maxSockets: clients }));
  return agents.get(origin);
};


/** An answer counts when it is HTTP 200 with data and no errors; `expect` is a string it must contain. */
async function measure({ url, headers, body, clients, seconds, expect }) {
  const options = { method: 'POST', agent: agentOf(new URL(url).origin, clients), headers: { ...headers, 'content-length': Buffer.byteLength(body) } };
  const latencies = [];
  const failures = {};
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      let outcome;
      try {
        const { status, text } = await httpRequest(url, options, body);
        outcome = status === 200 && text.includes(expect) && !text.includes('"errors"') ? 'ok' : `${status} ${text.slice(0, 200)}`;
      } catch (err) {
        outcome = String(err);
      }
      if (outcome === 'ok') latencies.push(performance.now() - t0);
      else failures[outcome] = (failures[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { count: latencies.length, seconds: (performance.now() - started) / 1000, latencies, failures };
}

process.on('message', (job) => {
  if (job === 'close') {
    for (const agent of agents.values()) agent.destroy();
    process.disconnect();
    return;
  }
  measure(job).then(
    (result) => process.send(result),
    (err) => process.send({ error: String(err) }),
  );
});
