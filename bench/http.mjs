// The one HTTP call the benchmarks make: answers as { status, text }, errors as rejections.
import http from 'node:http';

/** `http.request(url, options)` with `body` (if any), read to its end. */
export function httpRequest(url, options, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
