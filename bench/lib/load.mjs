// @ts-check
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { workerdCpuSeconds } from "./cpu.mjs";

/**
 * Drives one scenario with autocannon for `durationSeconds`. Every request is built by
 * `scenario.request()` (so ids, bodies and unique fields vary per request). Latencies are
 * kept at full resolution from autocannon's per-response event (its own histogram rounds to
 * whole milliseconds, too coarse for a 1–10 ms service). `workerd_cpu_ms` is the CPU time
 * workerd spent during the run per answered request (null without `/proc`).
 */
export function drive(baseUrl, scenario, { durationSeconds, connections, headers = {} }) {
  const latencies = [];
  const statuses = {};
  let unexpected = 0;
  const expected = new Set([scenario.expect].flat());
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const cpuBefore = workerdCpuSeconds();
    const instance = autocannon(
      {
        url: baseUrl,
        connections,
        duration: durationSeconds,
        headers,
        requests: [
          {
            setupRequest(request) {
              const next = scenario.request();
              request.method = next.method;
              request.path = next.path;
              request.body = next.body;
              request.headers = { ...headers, ...(next.body ? { "content-type": "application/json" } : {}) };
              if (next.headers) Object.assign(request.headers, next.headers);
              return request;
            },
          },
        ],
      },
      async (error, result) => {
        if (error) return reject(error);
        const seconds = (performance.now() - started) / 1000;
        // What the last answered requests left running (a queue send after the response) is
        // theirs: let it finish before reading the CPU, so it does not land in the next run.
        await new Promise((resolve) => setTimeout(resolve, 50));
        const cpuAfter = workerdCpuSeconds();
        latencies.sort((a, b) => a - b);
        const count = latencies.length;
        resolve({
          requests: count,
          seconds,
          rps: count / seconds,
          workerd_cpu_ms:
            cpuBefore === null || cpuAfter === null || count === 0 ? null : ((cpuAfter - cpuBefore) * 1000) / count,
          p50: percentile(latencies, 0.5),
          p99: percentile(latencies, 0.99),
          statuses,
          unexpected,
          errors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTime) => {
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (!expected.has(statusCode)) unexpected++;
      latencies.push(responseTime);
    });
  });
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

export const median = (values) => {
  const present = values.filter((value) => value !== null && Number.isFinite(value)).sort((a, b) => a - b);
  if (present.length === 0) return null;
  const middle = Math.floor(present.length / 2);
  return present.length % 2 ? present[middle] : (present[middle - 1] + present[middle]) / 2;
};
