/**
 * The deployed artefact, measured as Lambda would start it: lambda/handler.ts bundled with the
 * stack's esbuild options, its config.json beside it, required by a fresh `node` process that then
 * runs the handler once against loopback stand-ins (fake Alaya API, dynalite through
 * AWS_ENDPOINT_URL_DYNAMODB, the Secrets Manager/SNS impersonator through their endpoint variables).
 * A bare `node -e ""` started the same way is the floor that no code change can go below.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PodWatchConfig } from '../lambda/config/config';
import { lambdaTimeoutSeconds } from '../lib/lambda-timeout';
import type { FakeAlayaApi } from '../simulator/fake-alaya-api';
import type { DynaliteHandle } from '../test/support/dynalite';
import type { AwsImpersonator } from './aws-impersonator';
import { type BundleInfo, bundleHandler } from './bundle';
import { median } from './numbers';
import { benchConfig } from './pods';

/** Marks the end of each handler run in the child's stdout, so log bytes can be counted per run. */
const RUN_END_MARK = '\n@@bench-run-end@@\n';

/**
 * Plain CommonJS, run by plain `node`: this is the only code between process start and the
 * handler, standing in for Lambda's runtime client (which also just requires the handler file).
 */
const RUNNER_SOURCE = `'use strict';
const bootMs = performance.now();
const { readFileSync, writeFileSync } = require('node:fs');
const env = process.env;
const t0 = performance.now();
const { handler } = require(env.BENCH_BUNDLE);
const requireMs = performance.now() - t0;
const rssAfterRequireKb = Math.round(process.memoryUsage.rss() / 1024);
(async () => {
  const runMs = [];
  const cpuMs = [];
  const heapAfterRunKb = [];
  for (let i = 0; i < Number(env.BENCH_RUNS); i++) {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await handler({}, {
      awsRequestId: env.BENCH_REQUEST_ID + '-' + i,
      getRemainingTimeInMillis: () => Number(env.BENCH_REMAINING_MS),
    });
    runMs.push(performance.now() - started);
    const cpu = process.cpuUsage(cpuBefore);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    const heap = {};
    for (const space of require('node:v8').getHeapSpaceStatistics()) {
      if (space.physical_space_size > 0) heap[space.space_name] = Math.round(space.physical_space_size / 1024);
    }
    heap.used = Math.round(process.memoryUsage().heapUsed / 1024);
    heapAfterRunKb.push(heap);
    process.stdout.write(${JSON.stringify(RUN_END_MARK)});
  }
  let vmHwmKb = null;
  try { vmHwmKb = Number(/^VmHWM:\\s+(\\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]); } catch {}
  writeFileSync(env.BENCH_RESULT_FILE, JSON.stringify({
    bootMs, requireMs, rssAfterRequireKb, runMs, cpuMs, heapAfterRunKb, maxRssKb: process.resourceUsage().maxRSS, vmHwmKb,
  }));
})().catch((err) => { console.error(err && err.stack ? err.stack : String(err)); process.exitCode = 1; });
`;

export interface ProcessSample {
  /** From spawn() to the child's exit, seen by the parent. */
  wallMs: number;
  /** Inside the child: process start to the first line of the runner (Node's own boot). */
  bootMs?: number;
  requireMs?: number;
  /** RSS once the bundle is loaded, before any run: the part no pod count changes. */
  rssAfterRequireKb?: number;
  runMs?: number[];
  /** CPU time (user + system) of each handler run. */
  cpuMs?: number[];
  /** V8 heap spaces committed after each run, plus `used`, in kB: what the RSS is made of. */
  heapAfterRunKb?: Record<string, number>[];
  maxRssKb?: number;
  vmHwmKb?: number | null;
  /** stdout bytes (Powertools logs and EMF metrics) per handler run: CloudWatch Logs ingestion. */
  logBytesPerRun?: number[];
}

export interface ColdStartVariant {
  label: string;
  samples: ProcessSample[];
  median: {
    wallMs: number;
    requireMs: number;
    firstRunMs: number;
    firstRunCpuMs: number;
    maxRssKb: number;
    logBytes: number;
  };
}

export interface ColdStartReport {
  /** As deployed (sourcesContent: false), and with the sources embedded in the map (esbuild's default). */
  bundles: { deployed: BundleInfo; withSourcesContent: BundleInfo };
  pods: number;
  samples: number;
  /** The first is bare `node -e ""`; the second is the handler as the stack deploys it. */
  variants: ColdStartVariant[];
  /** The bundled handler over a large fleet, each run in its own process: peak RSS per case. */
  large: LargeRun[];
}

export interface LargeRun {
  pods: number;
  /** `first`: empty table, every pod is new and written; `steady`: the table already holds them. */
  table: 'first' | 'steady';
  /** Extra V8 flags beside --enable-source-maps (the young-generation sizing under test). */
  v8Flags: string;
  /** `metrics.perPod` on: two EMF records per pod and run go to the log. */
  perPodMetrics: boolean;
  sample: ProcessSample;
}

/**
 * V8 sizes its young generation from the memory it sees: on this host (many GB) each semi-space may
 * grow to 16 MiB, in a 256 MB Lambda sandbox V8's own formula (HeapSizeFromPhysicalMemory: old
 * generation = memory / 4 × 2, semi-space = old / 256, at least 1 MiB) gives 1 MiB. Running the
 * large case both ways shows how much of the peak is that sizing rather than the pods.
 */
const LAMBDA_LIKE_V8_FLAGS = '--max-semi-space-size=1';
/** The stack sets NODE_OPTIONS=--enable-source-maps on the function. */
const SOURCE_MAPS = '--enable-source-maps';

export interface ColdStartOptions {
  workDir: string;
  fake: FakeAlayaApi;
  dynalite: DynaliteHandle;
  impersonator: AwsImpersonator;
  secretId: string;
  topicArn: string;
  concurrency: number;
  pods: number;
  samples: number;
  largePods: number;
}

interface VariantSpec {
  label: string;
  /** undefined: bare `node -e ""`. */
  bundle?: BundleInfo;
  nodeOptions: string;
}

export async function measureColdStart(options: ColdStartOptions): Promise<ColdStartReport> {
  const writeConfig = (file: string, pods: number): PodWatchConfig => {
    const config = benchConfig({ pods, apiBaseUrl: options.fake.url, concurrency: options.concurrency });
    // The stack writes JSON.stringify(validated config) as config.json beside index.js.
    writeFileSync(file, JSON.stringify(config));
    return config;
  };
  const bundleInto = async (name: string, overrides: Parameters<typeof bundleHandler>[1] = {}) => {
    const dir = join(options.workDir, name);
    mkdirSync(dir, { recursive: true });
    const bundle = await bundleHandler(dir, overrides);
    writeConfig(join(dir, 'config.json'), options.pods);
    return bundle;
  };
  const deployed = await bundleInto('handler');
  const withSourcesContent = await bundleInto('handler-full-map', { sourcesContent: true });
  const smallConfig = benchConfig({
    pods: options.pods,
    apiBaseUrl: options.fake.url,
    concurrency: options.concurrency,
  });
  const largeConfigFile = join(options.workDir, 'config-large.json');
  const largeConfig = writeConfig(largeConfigFile, options.largePods);
  const perPodConfigFile = join(options.workDir, 'config-large-per-pod-metrics.json');
  const perPodConfig = benchConfig({
    pods: options.largePods,
    apiBaseUrl: options.fake.url,
    concurrency: options.concurrency,
    perPodMetrics: true,
  });
  writeFileSync(perPodConfigFile, JSON.stringify(perPodConfig));
  const runner = join(options.workDir, 'cold-start-runner.js');
  writeFileSync(runner, RUNNER_SOURCE);

  const baseEnv = async (tableName: string): Promise<NodeJS.ProcessEnv> => ({
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: options.dynalite.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: options.impersonator.url,
    AWS_ENDPOINT_URL_SNS: options.impersonator.url,
    TABLE_NAME: await options.dynalite.createTable(tableName),
    TOPIC_ARN: options.topicArn,
    API_KEY_SECRET_ID: options.secretId,
    POWERTOOLS_SERVICE_NAME: 'pod-watch-bench',
    POWERTOOLS_METRICS_NAMESPACE: 'AlayaPodWatchBench',
  });
  const smallEnv = await baseEnv('pod-watch-bench-cold-start');
  let sequence = 0;
  const handlerRun = (
    env: NodeJS.ProcessEnv,
    bundle: BundleInfo,
    config: PodWatchConfig,
    nodeOptions: string,
  ) =>
    runProcess(
      [runner],
      {
        ...env,
        NODE_OPTIONS: nodeOptions,
        BENCH_BUNDLE: bundle.file,
        BENCH_RUNS: '1',
        BENCH_REQUEST_ID: `bench-cold-${process.pid}-${++sequence}`,
        BENCH_REMAINING_MS: String(lambdaTimeoutSeconds(config) * 1000),
        BENCH_RESULT_FILE: join(options.workDir, `cold-start-result-${sequence}.json`),
      },
      true,
    );
  const run = (spec: VariantSpec) =>
    spec.bundle
      ? handlerRun(smallEnv, spec.bundle, smallConfig, spec.nodeOptions)
      : runProcess(['-e', ''], smallEnv, false);

  const specs: VariantSpec[] = [
    { label: 'node -e ""', nodeOptions: '' },
    { label: 'handler, --enable-source-maps (as deployed)', bundle: deployed, nodeOptions: SOURCE_MAPS },
    { label: 'handler, no --enable-source-maps', bundle: deployed, nodeOptions: '' },
    {
      label: 'handler, --enable-source-maps, sourcesContent: true',
      bundle: withSourcesContent,
      nodeOptions: SOURCE_MAPS,
    },
  ];
  // Unmeasured: fills the table (the measured runs are then steady ones) and warms the page cache.
  for (const spec of specs) await run(spec);
  const samples = specs.map((): ProcessSample[] => []);
  // Interleaved, so that drift on the machine (other work on it) affects every variant alike.
  for (let i = 0; i < options.samples; i++) {
    for (const [index, spec] of specs.entries()) samples[index]?.push(await run(spec));
  }
  const variants = specs.map((spec, index): ColdStartVariant => {
    const list = samples[index] ?? [];
    const med = (pick: (s: ProcessSample) => number | undefined) =>
      median(list.map(pick).filter((x): x is number => x !== undefined));
    return {
      label: spec.label,
      samples: list,
      median: {
        wallMs: med((s) => s.wallMs),
        requireMs: med((s) => s.requireMs),
        firstRunMs: med((s) => s.runMs?.[0]),
        firstRunCpuMs: med((s) => s.cpuMs?.[0]),
        maxRssKb: med((s) => s.maxRssKb),
        logBytes: med((s) => s.logBytesPerRun?.[0]),
      },
    };
  });

  const large: LargeRun[] = [];
  for (const v8Flags of ['', LAMBDA_LIKE_V8_FLAGS]) {
    const largeEnv = {
      ...(await baseEnv(`pod-watch-bench-large${v8Flags ? '-lambda-like' : ''}`)),
      POD_WATCH_CONFIG_FILE: largeConfigFile,
    };
    const nodeOptions = [SOURCE_MAPS, v8Flags].filter(Boolean).join(' ');
    for (const table of ['first', 'steady'] as const) {
      const sample = await handlerRun(largeEnv, deployed, largeConfig, nodeOptions);
      large.push({ pods: options.largePods, table, v8Flags, perPodMetrics: false, sample });
    }
    if (v8Flags === '') {
      // The same steady run with metrics.perPod: what the opt-in adds to the log, the time and memory.
      const perPodEnv = { ...largeEnv, POD_WATCH_CONFIG_FILE: perPodConfigFile };
      const sample = await handlerRun(perPodEnv, deployed, perPodConfig, nodeOptions);
      large.push({ pods: options.largePods, table: 'steady', v8Flags, perPodMetrics: true, sample });
    }
  }

  return {
    bundles: { deployed, withSourcesContent },
    pods: options.pods,
    samples: options.samples,
    variants,
    large,
  };
}

function runProcess(args: string[], env: NodeJS.ProcessEnv, readResult: boolean): Promise<ProcessSample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`cold-start child failed (exit ${code}): ${stderr.trim()}`));
        return;
      }
      if (stderr.trim() !== '') process.stderr.write(`[cold-start child] ${stderr}`);
      if (!readResult) {
        resolve({ wallMs });
        return;
      }
      const resultFile = env.BENCH_RESULT_FILE ?? '';
      const result = JSON.parse(readFileSync(resultFile, 'utf8')) as Omit<ProcessSample, 'wallMs'>;
      const logBytesPerRun = stdout
        .split(RUN_END_MARK)
        .slice(0, -1)
        .map((part) => Buffer.byteLength(part));
      resolve({ wallMs, ...result, logBytesPerRun });
    });
  });
}
