/**
 * One measured process: runs the real core (runCheck + AlayaHttpClient) against the fake API that
 * the parent hosts, so that this process's peak RSS is the core's alone, not the fake's or
 * dynalite's. It is bundled with esbuild and started with plain `node` (no tsx loader, whose
 * esbuild worker would inflate the RSS), as Lambda runs the bundled handler.
 *
 * After each run it reports to the parent and waits for an ack, so the parent can read and reset
 * the fake API's connection counter between runs.
 */

import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { AlayaHttpClient } from '../lambda/adapters/alaya-http-client';
import type { Notifier } from '../lambda/core/ports';
import { runCheck } from '../lambda/core/run-check';
import type { AckMessage, ChildJob, ChildMessage } from './child-protocol';
import { MemoryStateStore } from './memory-state-store';
import { BENCH_API_KEY, benchConfig } from './pods';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('child-run must be started with an IPC channel (child_process.fork)'));
      return;
    }
    process.send(message, undefined, undefined, (err) => (err ? reject(err) : resolve()));
  });
}

function vmHwmKb(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as ChildJob;
  const config = benchConfig({ pods: job.pods, apiBaseUrl: job.apiUrl, concurrency: job.concurrency });
  // The same options lambda/handler.ts passes, plus the keep-alive switch under test.
  const podApi = new AlayaHttpClient({
    baseUrl: config.apiBaseUrl,
    timeoutMs: config.timeoutSeconds * 1000,
    retries: config.retries,
    ...(job.maxSockets ? { maxSockets: config.concurrency } : {}),
    keepAlive: job.keepAlive,
  });
  const stateStore = new MemoryStateStore();
  // Delivery is not what is measured here (bench/aws-calls.ts counts SNS Publish calls).
  const notifier: Notifier = { async send() {} };
  const loadedRssKb = Math.round(process.memoryUsage.rss() / 1024);

  for (let index = 0; index < job.runs; index++) {
    // scheduled-run.ts always passes a run deadline; the client then combines it with each attempt's
    // timeout (AbortSignal.any), which is part of what is measured.
    const signal = AbortSignal.timeout(15 * 60_000);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await runCheck(
      config,
      {
        keySource: { getKey: async () => BENCH_API_KEY },
        podApi,
        stateStore,
        notifier,
        clock: { now: () => new Date() },
      },
      { runId: `bench-${process.pid}-${index}`, leaseTtlMs: 60_000, signal },
    );
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    if (result.status !== 'completed') throw new Error(`run ${index} was ${result.status}: ${result.reason}`);
    const memory = process.memoryUsage();
    const acked = once(process, 'message');
    await send({
      type: 'run',
      index,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      podsChecked: result.stats.podsChecked,
      podsOk: result.stats.byHealth.ok,
      stateWrites: result.stats.stateWrites,
      alerts: result.stats.alertsSent,
      apiLatencyMeanMs: result.stats.apiLatencyMs.mean,
      apiLatencyMaxMs: result.stats.apiLatencyMs.max,
      rssKb: Math.round(memory.rss / 1024),
      heapUsedKb: Math.round(memory.heapUsed / 1024),
      heapCommittedKb: Object.fromEntries(
        getHeapSpaceStatistics().map((space) => [
          space.space_name,
          Math.round(space.physical_space_size / 1024),
        ]),
      ),
      externalKb: Math.round(memory.external / 1024),
    });
    const [ack] = (await acked) as [AckMessage];
    if (ack.type !== 'ack') throw new Error(`unexpected message from the parent: ${JSON.stringify(ack)}`);
  }
  podApi.close();
  await send({ type: 'done', loadedRssKb, maxRssKb: process.resourceUsage().maxRSS, vmHwmKb: vmHwmKb() });
  process.disconnect();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
  process.disconnect?.();
});
