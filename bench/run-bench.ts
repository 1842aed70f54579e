/**
 * `npm run bench`: how fast, how big and how chatty one check run is, all on loopback.
 *
 * It prints numbers and PASS/FAIL per budget; nothing here is a test, and no test asserts a time
 * (timings on a shared CI machine would make such a test flaky). See docs/performance.md for what
 * each budget protects and the cost model built on these numbers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeAlayaApi } from '../simulator/fake-alaya-api';
import { startDynalite } from '../test/support/dynalite';
import { type AwsCallsReport, type AwsRun, measureAwsCalls } from './aws-calls';
import { SNS_MAX_MESSAGE_BYTES, startAwsImpersonator } from './aws-impersonator';
import { bundleScript } from './bundle';
import { type ChildResult, runCoreChild } from './check-run';
import { type ColdStartReport, measureColdStart } from './cold-start';
import { MAX_CONFIG_PODS, measureNotificationSizes, type NotificationSizeCase } from './notification-size';
import { kib, mb, ms } from './numbers';
import { BENCH_API_KEY, benchPods } from './pods';

const HELP = `Usage: npm run bench -- [options]

  --latency <ms>        fake API latency per request (default 50)
  --concurrency <n>     pods checked at once, 1..64 (default 16)
  --pods <list>         pod counts of the main table (default 100,1000,2000)
  --samples <n>         cold-start samples, median reported (default 5)
  --json                machine-readable output only
  --help
`;

/** A mistake on the command line: reported as one line and the usage, not as a stack trace. */
class BenchUsageError extends Error {}

const SECRET_ID = 'alaya/pod-watch/bench';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:pod-watch-bench';
/** Pod count of the connection, AWS-call and budget measurements (the budgets are stated for it). */
const REFERENCE_PODS = 1000;
/** The memory budget is stated for this fleet size. */
const MEMORY_PODS = 2000;
const BASELINE_PODS = 100;
const COLD_START_PODS = 16;
const MEMORY_BUDGET_MB = 128;
const WALL_BUDGET_RATIO = 1.15;
const SCHEDULE_MINUTES = 5;
const STEADY_RUNS = 6;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;
const KEY_CACHE_MINUTES = 5;

interface Options {
  latencyMs: number;
  concurrency: number;
  pods: number[];
  samples: number;
  json: boolean;
}

function parseCommandLine() {
  return parseArgs({
    options: {
      latency: { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '16' },
      pods: { type: 'string', default: '100,1000,2000' },
      samples: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
}

function parseOptions(): Options {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine();
  } catch (err) {
    throw new BenchUsageError(err instanceof Error ? err.message : String(err));
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const int = (name: string, text: string, min: number, max: number): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new BenchUsageError(`--${name}: expected a whole number from ${min} to ${max}, got ${text}`);
    }
    return value;
  };
  return {
    latencyMs: int('latency', values.latency, 0, 10_000),
    // The config schema's own range: the benchmark must not measure a config no one can deploy.
    concurrency: int('concurrency', values.concurrency, 1, 64),
    pods: values.pods.split(',').map((p) => int('pods', p.trim(), 1, 5_000)),
    samples: int('samples', values.samples, 1, 50),
    json: values.json,
  };
}

interface CoreRow {
  pods: number;
  lowerBoundMs: number;
  firstRunMs: number;
  steadyRunMs: number;
  /** CPU time of the steady run (user + system). */
  steadyCpuMs: number;
  ratio: number;
  apiLatencyMeanMs: number;
  baselineMs: number;
  baselineMeasured: boolean;
  speedUp: number;
  peakRssKb: number;
  loadedRssKb: number;
  heapUsedKb: number;
}

interface KeepAliveRow {
  mode: string;
  requests: number;
  connections: number;
  wallMs: number;
}

interface Budget {
  name: string;
  /** null: not measured, or measured with parameters other than those the budget is stated for. */
  pass: boolean | null;
  measured: string;
  note?: string;
}

interface Report {
  /** loadAverage: 1-minute load at start and end; this machine is shared, so timings carry its noise. */
  machine: { cpus: number; cpuModel: string; node: string; platform: string; loadAverage: [number, number] };
  parameters: { latencyMs: number; concurrency: number };
  core: CoreRow[];
  baseline: { pods: number; concurrency: 1; wallMs: number; perPodMs: number };
  keepAlive: KeepAliveRow[];
  awsCalls: AwsCallsReport;
  coldStart: ColdStartReport;
  notificationSizes: NotificationSizeCase[];
  budgets: Budget[];
  durationS: number;
  raw: { coreChildren: ChildResult[] };
}

const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

async function main(): Promise<void> {
  const options = parseOptions();
  const started = performance.now();
  const loadAtStart = loadavg()[0] ?? Number.NaN;
  // The SDK warns once per client on Node 20; the warning says nothing about performance.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const workDir = mkdtempSync(join(tmpdir(), 'alaya-pod-watch-bench-'));
  const fake = await startFakeAlayaApi({ latencyMs: options.latencyMs, validKeys: [BENCH_API_KEY] });
  const dynalite = await startDynalite();
  const impersonator = await startAwsImpersonator({
    secretString: JSON.stringify({ apiKey: BENCH_API_KEY }),
  });
  try {
    for (const pod of benchPods(Math.max(MEMORY_PODS, REFERENCE_PODS, ...options.pods))) {
      fake.setPod(pod.taskId, pod.podName);
    }
    log('bundling the child script');
    const childScript = await bundleScript('bench/child-run.ts', join(workDir, 'child-run.js'));
    const child = (pods: number, concurrency: number, runs: number, keepAlive = true, maxSockets = true) => {
      log(`core run: ${pods} pods, C=${concurrency}, keepAlive ${keepAlive ? 'on' : 'off'}, ${runs} run(s)`);
      return runCoreChild(childScript, fake, {
        apiUrl: fake.url,
        pods,
        concurrency,
        keepAlive,
        maxSockets,
        runs,
      });
    };

    // Two runs per process: the first sees every pod for the first time (every state item written)
    // in a cold process; the second is what a warm container does every few minutes.
    const coreChildren: ChildResult[] = [];
    for (const pods of options.pods) coreChildren.push(await child(pods, options.concurrency, 2));
    const baselineChild = await child(BASELINE_PODS, 1, 2);
    const baselineWallMs = steady(baselineChild).wallMs;
    const perPodMs = baselineWallMs / BASELINE_PODS;

    const core = coreChildren.map((c): CoreRow => {
      const lowerBoundMs = Math.ceil(c.job.pods / options.concurrency) * options.latencyMs;
      const run = steady(c);
      const baselineMs = c.job.pods === BASELINE_PODS ? baselineWallMs : perPodMs * c.job.pods;
      return {
        pods: c.job.pods,
        lowerBoundMs,
        firstRunMs: first(c).wallMs,
        steadyRunMs: run.wallMs,
        steadyCpuMs: run.cpuMs,
        ratio: lowerBoundMs > 0 ? run.wallMs / lowerBoundMs : Number.NaN,
        apiLatencyMeanMs: run.apiLatencyMeanMs,
        baselineMs,
        baselineMeasured: c.job.pods === BASELINE_PODS,
        speedUp: baselineMs / run.wallMs,
        peakRssKb: c.maxRssKb,
        loadedRssKb: c.loadedRssKb,
        heapUsedKb: Math.max(...c.runs.map((r) => r.heapUsedKb)),
      };
    });

    // Fresh processes, first run each: every variant starts with no pooled socket.
    const keepAliveChildren: [string, ChildResult][] = [
      ['on, maxSockets = C (the handler)', await child(REFERENCE_PODS, options.concurrency, 1, true, true)],
      ['off, maxSockets = C', await child(REFERENCE_PODS, options.concurrency, 1, false, true)],
      ['off, no maxSockets', await child(REFERENCE_PODS, options.concurrency, 1, false, false)],
    ];
    const keepAlive = keepAliveChildren.map(([mode, c]): KeepAliveRow => {
      const run = first(c);
      return { mode, requests: run.requests, connections: run.connections, wallMs: run.wallMs };
    });

    log(
      `AWS calls: ${REFERENCE_PODS} pods on dynalite, ${STEADY_RUNS} steady runs ${SCHEDULE_MINUTES} simulated minutes apart`,
    );
    const awsCalls = await measureAwsCalls({
      fake,
      dynalite,
      impersonator,
      secretId: SECRET_ID,
      topicArn: TOPIC_ARN,
      pods: REFERENCE_PODS,
      concurrency: options.concurrency,
      steadyRuns: STEADY_RUNS,
      scheduleMinutes: SCHEDULE_MINUTES,
    });

    log(`bundled handler: cold start (${options.samples} samples) and ${MEMORY_PODS}-pod runs`);
    const coldStart = await measureColdStart({
      workDir,
      fake,
      dynalite,
      impersonator,
      secretId: SECRET_ID,
      topicArn: TOPIC_ARN,
      concurrency: options.concurrency,
      pods: COLD_START_PODS,
      samples: options.samples,
      largePods: MEMORY_PODS,
    });

    log('SNS message size against the number of simultaneous alerts');
    const notificationSizes = await measureNotificationSizes();

    const report: Report = {
      machine: {
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        loadAverage: [loadAtStart, loadavg()[0] ?? Number.NaN],
      },
      parameters: { latencyMs: options.latencyMs, concurrency: options.concurrency },
      core,
      baseline: { pods: BASELINE_PODS, concurrency: 1, wallMs: baselineWallMs, perPodMs },
      keepAlive,
      awsCalls,
      coldStart,
      notificationSizes,
      budgets: [],
      durationS: 0,
      raw: { coreChildren },
    };
    report.budgets = budgets(report, options);
    report.durationS = (performance.now() - started) / 1000;
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
  } finally {
    await fake.close();
    await impersonator.close();
    await dynalite.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

function first(c: ChildResult) {
  const run = c.runs[0];
  if (!run) throw new Error(`no run reported by the ${c.job.pods}-pod child`);
  return run;
}

function steady(c: ChildResult) {
  return c.runs[c.runs.length - 1] ?? first(c);
}

function commands(run: AwsRun, service: string, operation?: string): number {
  return Object.entries(run.calls.commands)
    .filter(([name]) => (operation ? name === `${service}.${operation}` : name.startsWith(`${service}.`)))
    .reduce((sum, [, n]) => sum + n, 0);
}

function dynamoWrites(run: AwsRun): number {
  return ['PutItem', 'DeleteItem', 'UpdateItem', 'BatchWriteItem'].reduce(
    (sum, op) => sum + commands(run, 'DynamoDB', op),
    0,
  );
}

function budgets(report: Report, options: Options): Budget[] {
  const out: Budget[] = [];
  const atReference = report.core.find((r) => r.pods === REFERENCE_PODS);
  const standard = options.concurrency === 16 && options.latencyMs === 50;
  out.push({
    name: `wall, N=${REFERENCE_PODS}, C=16, 50 ms: steady run <= ${WALL_BUDGET_RATIO} x lower bound`,
    pass: atReference && standard ? atReference.ratio <= WALL_BUDGET_RATIO : null,
    measured: atReference
      ? `${atReference.ratio.toFixed(3)} (${ms(atReference.steadyRunMs)} / ${ms(atReference.lowerBoundMs)}; first run ${(atReference.firstRunMs / atReference.lowerBoundMs).toFixed(3)})`
      : `not measured (add ${REFERENCE_PODS} to --pods)`,
    ...(standard ? {} : { note: 'stated for C=16 and 50 ms; measured with other parameters, so no verdict' }),
  });

  const aws = report.awsCalls;
  const steadyRuns = aws.steady;
  const pods = aws.pods;
  const stateWrites = Math.max(...steadyRuns.map((r) => r.stateWrites));
  const writes = Math.max(...steadyRuns.map(dynamoWrites));
  const wcu = Math.max(...steadyRuns.map((r) => r.calls.writeUnits));
  out.push({
    name: 'steady: 0 DynamoDB state writes',
    pass: stateWrites === 0,
    measured: `${stateWrites} state items written per run`,
  });
  out.push({
    name: 'steady: 0 DynamoDB writes (as written)',
    pass: writes === 0,
    measured: `${writes} write requests, ${wcu} WCU per run`,
    note: 'the run lease is one PutItem (acquire) and one DeleteItem (release) of #lease every run',
  });
  const expectedBatches = Math.ceil(pods / BATCH_GET_KEYS);
  const batches = Math.max(...steadyRuns.map((r) => commands(r, 'DynamoDB', 'BatchGetItem')));
  const readUnits = Math.max(...steadyRuns.map((r) => r.calls.readUnits));
  out.push({
    name: `steady: ceil(N/100) = ${expectedBatches} BatchGetItem calls`,
    pass: batches === expectedBatches,
    measured: `${batches} calls, ${readUnits} RCU per run`,
    // Every key read is one strongly consistent RCU (items are far below 4 KB), so RCU - N is the
    // number of run-wide items load() reads besides the pods.
    ...(batches !== expectedBatches
      ? {
          note: `load() also reads ${readUnits - pods} run-wide item(s) (#run, #silences): ${readUnits} keys = ceil((N+${readUnits - pods})/100) calls`,
        }
      : {}),
  });
  const publishes = steadyRuns.reduce((sum, r) => sum + commands(r, 'SNS', 'Publish'), 0);
  out.push({
    name: 'steady: 0 SNS publishes',
    pass: publishes === 0,
    measured: `${publishes} over ${steadyRuns.length} runs`,
  });
  const windows = Math.floor(aws.secrets.steadySpanMinutes / KEY_CACHE_MINUTES) + 1;
  out.push({
    name: `steady: <= 1 GetSecretValue per ${KEY_CACHE_MINUTES} minutes of warm runs`,
    pass: aws.secrets.steadyCalls <= windows && aws.secrets.oneMinuteScheduleCalls <= windows,
    measured:
      `${aws.secrets.steadyCalls} calls over ${steadyRuns.length} runs ${SCHEDULE_MINUTES} min apart; ` +
      `${aws.secrets.oneMinuteScheduleCalls} over ${aws.secrets.oneMinuteSpanMinutes + 1} reads 1 min apart ` +
      `(${windows} five-minute windows in ${aws.secrets.steadySpanMinutes} min)`,
    note: 'on a 5-minute schedule the 5-minute key cache has always just expired: every run reads the secret',
  });

  const atMemory = report.core.find((r) => r.pods === MEMORY_PODS);
  out.push({
    name: `peak RSS, ${MEMORY_PODS} pods, core child process <= ${MEMORY_BUDGET_MB} MB`,
    pass: atMemory ? atMemory.peakRssKb / 1024 <= MEMORY_BUDGET_MB : null,
    measured: atMemory
      ? `${mb(atMemory.peakRssKb)} (${mb(atMemory.loadedRssKb)} before the first run)`
      : 'not measured',
  });
  for (const large of report.coldStart.large.filter((l) => !l.perPodMetrics)) {
    const peak = large.sample.maxRssKb ?? Number.NaN;
    out.push({
      name: `peak RSS, ${large.pods} pods, bundled handler, ${large.table === 'first' ? 'first run' : 'steady run'}, ${large.v8Flags || 'V8 default sizing'} <= ${MEMORY_BUDGET_MB} MB`,
      pass: peak / 1024 <= MEMORY_BUDGET_MB,
      measured: `${mb(peak)} (${mb(large.sample.rssAfterRequireKb ?? Number.NaN)} after require)`,
    });
  }

  const on = report.keepAlive[0];
  out.push({
    name: `keep-alive: connections << requests (N=${REFERENCE_PODS}: <= 2 x C connections)`,
    pass: on ? on.connections <= 2 * options.concurrency : null,
    measured: on ? `${on.connections} connections for ${on.requests} requests` : 'not measured',
  });

  const largest = aws.allPodsDown.publishes[0];
  const fewest = report.notificationSizes.reduce<NotificationSizeCase | undefined>(
    (min, c) => (min === undefined || c.maxAlerts < min.maxAlerts ? c : min),
    undefined,
  );
  out.push({
    name: `(added) all ${pods} pods down at once: the one SNS message fits ${kib(SNS_MAX_MESSAGE_BYTES)}`,
    pass: largest ? largest.accepted : null,
    measured: largest
      ? `${kib(largest.bytes)} (${kib(largest.emailBytes ?? 0)} email part); ${aws.allPodsDown.error ?? 'published'}`
      : 'no publish recorded',
    ...(fewest && fewest.maxAlerts < MAX_CONFIG_PODS
      ? {
          note: `the email part lists every alert in full (~${Math.round(fewest.bytesFor1000 / 1000)} bytes each); from ${fewest.maxAlerts + 1} ${fewest.kind} alerts (${fewest.language}) on, no run can notify`,
        }
      : {}),
  });
  return out;
}

function table(headers: string[], rows: string[][], alignLeft = 1): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < alignLeft ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
    .map((l) => `  ${l}`)
    .join('\n');
}

function render(r: Report): string {
  const { latencyMs, concurrency } = r.parameters;
  const out: string[] = [];
  out.push(
    `alaya-pod-watch benchmark: ${r.machine.cpus} x ${r.machine.cpuModel}, Node ${r.machine.node} (${r.machine.platform}); fake API latency ${latencyMs} ms, C=${concurrency}`,
    `load average (1 min) at start ${r.machine.loadAverage[0].toFixed(2)}, at end ${r.machine.loadAverage[1].toFixed(2)}: other work on the machine shows up as noise`,
    '',
    '1. One check run of the real core (runCheck + AlayaHttpClient, memory state store, no-op notifier), one child process per N',
    table(
      [
        'pods',
        'lower bound',
        'run 1 (cold)',
        'steady run',
        'CPU',
        'ratio',
        'API mean',
        'sequential (C=1)',
        'speed-up',
        'peak RSS',
        'heap used',
      ],
      r.core.map((c) => [
        String(c.pods),
        ms(c.lowerBoundMs),
        ms(c.firstRunMs),
        ms(c.steadyRunMs),
        ms(c.steadyCpuMs),
        c.ratio.toFixed(3),
        `${c.apiLatencyMeanMs.toFixed(1)} ms`,
        `${ms(c.baselineMs)} ${c.baselineMeasured ? '(measured)' : '(extrapolated)'}`,
        `${c.speedUp.toFixed(1)}x`,
        mb(c.peakRssKb),
        mb(c.heapUsedKb),
      ]),
    ),
    `  lower bound = ceil(N/C) x latency; ratio = steady run / lower bound. Sequential = the same pods one after`,
    `  another (as the provider's example code does), measured for ${r.baseline.pods} pods (${ms(r.baseline.wallMs)}, ${r.baseline.perPodMs.toFixed(1)} ms/pod)`,
    '  and extrapolated linearly for larger N. Run 1 writes every pod (first sight); the steady run writes none.',
    '',
    `2. Connection reuse, ${REFERENCE_PODS} pods (fresh process, first run)`,
    table(
      ['keep-alive', 'requests', 'TCP connections', 'wall'],
      r.keepAlive.map((k) => [k.mode, String(k.requests), String(k.connections), ms(k.wallMs)]),
    ),
    '  On loopback a connection costs ~0.1 ms; to a real HTTPS endpoint each one is a TCP + TLS handshake.',
    '',
  );

  const cs = r.coldStart;
  out.push(
    '3. The bundled Lambda handler (esbuild with the stack options: node22, cjs, minify, source map without sources, SDK bundled)',
    `  index.js ${kib(cs.bundles.deployed.bytes)}, index.js.map ${kib(cs.bundles.deployed.mapBytes)}` +
      ` (sourcesContent: false; ${kib(cs.bundles.withSourcesContent.mapBytes)} with the sources embedded)`,
    `  cold start = spawn to exit of a fresh node, require + one handler run (${cs.pods} pods, one API wave), median of ${cs.samples}:`,
    table(
      ['process', 'median', 'require', 'first run', 'its CPU', 'peak RSS', 'log bytes/run'],
      cs.variants.map((v, i) =>
        i === 0
          ? [v.label, ms(v.median.wallMs), '', '', '', '', '']
          : [
              v.label,
              ms(v.median.wallMs),
              ms(v.median.requireMs),
              ms(v.median.firstRunMs),
              ms(v.median.firstRunCpuMs),
              mb(v.median.maxRssKb),
              String(v.median.logBytes),
            ],
      ),
    ),
    `  ${cs.large[0]?.pods ?? MEMORY_PODS} pods through the bundled handler (dynalite, one run per process, --enable-source-maps):`,
    table(
      ['run', 'V8 flags', 'run time', 'CPU', 'after require', 'peak RSS', 'log bytes'],
      cs.large.map((l) => [
        `${l.table === 'first' ? 'first (empty table)' : 'steady'}${l.perPodMetrics ? ', metrics.perPod' : ''}`,
        l.v8Flags || '(default sizing on this host)',
        ms(l.sample.runMs?.[0] ?? Number.NaN),
        ms(l.sample.cpuMs?.[0] ?? Number.NaN),
        mb(l.sample.rssAfterRequireKb ?? Number.NaN),
        mb(l.sample.maxRssKb ?? Number.NaN),
        String(l.sample.logBytesPerRun?.[0] ?? ''),
      ]),
    ),
    '',
  );

  const aws = r.awsCalls;
  const awsRow = (label: string, run: AwsRun, runs = 1): string[] => [
    label,
    String(commands(run, 'DynamoDB', 'BatchGetItem')),
    String(commands(run, 'DynamoDB', 'PutItem')),
    String(commands(run, 'DynamoDB', 'DeleteItem')),
    String(commands(run, 'DynamoDB') - commands(run, 'DynamoDB', 'BatchGetItem') - dynamoWrites(run)),
    String(run.calls.readUnits),
    String(run.calls.writeUnits),
    String(commands(run, 'SNS', 'Publish')),
    runs > 1
      ? `${aws.secrets.steadyCalls}/${runs} runs`
      : String(commands(run, 'SecretsManager', 'GetSecretValue')),
    run.error ? 'run failed' : String(run.stateWrites),
    run.error ? '-' : String(run.alerts),
    ms(run.wallMs),
  ];
  const steadyRun = aws.steady[aws.steady.length - 1];
  const identical = aws.steady.every(
    (s) => JSON.stringify(s.calls.commands) === JSON.stringify(aws.steady[0]?.calls.commands),
  );
  out.push(
    `4. AWS calls per run, ${aws.pods} pods, counted at the SDK clients (dynalite table, impersonated Secrets Manager and SNS)`,
    table(
      [
        'run',
        'BatchGet',
        'Put',
        'Delete',
        'other',
        'RCU',
        'WCU',
        'Publish',
        'GetSecret',
        'state writes',
        'alerts',
        'wall',
      ],
      [
        awsRow(aws.first.label, aws.first),
        ...(steadyRun
          ? [
              awsRow(
                `steady, each of ${aws.steady.length}${identical ? ' (identical)' : ''}`,
                steadyRun,
                aws.steady.length,
              ),
            ]
          : []),
        awsRow(aws.tenPercentChanged.label, aws.tenPercentChanged),
        awsRow(aws.allPodsDown.label, aws.allPodsDown),
      ],
    ),
    `  HTTP attempts equal commands (no SDK retry) in every run: ${[aws.first, ...aws.steady, aws.tenPercentChanged, aws.allPodsDown].every((run) => JSON.stringify(run.calls.attempts) === JSON.stringify(run.calls.commands)) ? 'yes' : 'NO'}.`,
    `  Secrets Manager: ${aws.secrets.steadyCalls} GetSecretValue over ${aws.steady.length} warm runs ${SCHEDULE_MINUTES} min apart (${aws.secrets.steadySpanMinutes} min); ` +
      `a 1-minute schedule: ${aws.secrets.oneMinuteScheduleCalls} over ${aws.secrets.oneMinuteSpanMinutes + 1} runs.`,
  );
  for (const run of [aws.tenPercentChanged, aws.allPodsDown]) {
    for (const p of run.publishes) {
      out.push(
        `  ${run.label}: Publish ${kib(p.bytes)} (email part ${kib(p.emailBytes ?? 0)}, SMS ${p.smsChars ?? 0} chars) ` +
          `${p.accepted ? 'accepted' : `REJECTED (SNS limit ${kib(SNS_MAX_MESSAGE_BYTES)})`}${run.error ? `; the run failed: ${run.error}` : ''}`,
      );
    }
  }
  out.push(
    '',
    `5. One SNS message per run: the largest number of simultaneous alerts that fits ${kib(SNS_MAX_MESSAGE_BYTES)}`,
    table(
      [
        'alert kind',
        'language',
        '1 alert',
        '1000 alerts',
        `${MAX_CONFIG_PODS} alerts`,
        'max alerts that fit',
      ],
      r.notificationSizes.map((c) => [
        c.kind,
        c.language,
        kib(c.bytesForOne),
        kib(c.bytesFor1000),
        kib(c.bytesForMax),
        c.maxAlerts >= MAX_CONFIG_PODS ? `all ${MAX_CONFIG_PODS} (config max)` : String(c.maxAlerts),
      ]),
    ),
    '  Rendered by the real rules, messages and SnsNotifier. A refused Publish would fail the run and leave state',
    '  unchanged, so every following run would render the same message and fail again.',
    '',
    '6. Budgets',
  );
  for (const b of r.budgets) {
    const verdict = b.pass === null ? 'n/a ' : b.pass ? 'PASS' : 'FAIL';
    out.push(`  ${verdict}  ${b.name}: ${b.measured}${b.note ? `\n        why: ${b.note}` : ''}`);
  }
  out.push(
    '',
    `Finished in ${r.durationS.toFixed(0)} s. Repeat: npm run bench (-- --json for machine output).`,
    '',
  );
  return out.join('\n');
}

main().catch((err: unknown) => {
  if (err instanceof BenchUsageError) console.error(`bench: ${err.message}\n\n${HELP}`);
  else console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
