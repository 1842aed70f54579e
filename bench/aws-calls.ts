/**
 * AWS calls per run, counted at the SDK clients themselves (a middleware on each client), with the
 * real adapters: DynamoDbStateStore on dynalite, SecretsManagerKeySource and SnsNotifier on the
 * loopback impersonator. What is counted here is what AWS bills: commands, HTTP attempts and the
 * capacity units DynamoDB reports back (DynamoDbStateStore asks ReturnConsumedCapacity TOTAL).
 *
 * A simulated clock drives the core, the key cache and the state store, so "6 warm runs over 25
 * minutes" takes seconds, not 25 minutes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { AlayaHttpClient } from '../lambda/adapters/alaya-http-client';
import { DynamoDbStateStore } from '../lambda/adapters/dynamodb-state-store';
import { SecretsManagerKeySource } from '../lambda/adapters/secrets-manager-key-source';
import { SnsNotifier } from '../lambda/adapters/sns-notifier';
import { errorText, runCheck } from '../lambda/core/run-check';
import { leaseTtlSeconds } from '../lib/lambda-timeout';
import type { FakeAlayaApi } from '../simulator/fake-alaya-api';
import type { DynaliteHandle } from '../test/support/dynalite';
import type { AwsImpersonator, PublishRecord } from './aws-impersonator';
import { benchConfig, benchPods } from './pods';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const MINUTE_MS = 60_000;
const READ_COMMANDS = new Set(['BatchGetItem', 'GetItem', 'Query', 'Scan']);

export interface CallTally {
  /** Commands sent, by "Service.Operation". */
  commands: Record<string, number>;
  /** HTTP requests on the wire (retries included): what AWS bills. */
  attempts: Record<string, number>;
  failures: Record<string, number>;
  readUnits: number;
  writeUnits: number;
}

function emptyTally(): CallTally {
  return { commands: {}, attempts: {}, failures: {}, readUnits: 0, writeUnits: 0 };
}

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/**
 * The one slice of the SDK's MiddlewareStack used here. Each client's stack is typed by its own
 * input/output unions, which makes one function over three clients awkward; the middleware only
 * reads the command name and the output's ConsumedCapacity, so a structural view is enough.
 */
interface LooseStack {
  add(
    middleware: (
      next: (args: unknown) => Promise<{ output: unknown }>,
      context: { commandName?: string },
    ) => (args: unknown) => Promise<{ output: unknown }>,
    options: { step: 'initialize' | 'deserialize'; name: string },
  ): void;
}

export class CallCounter {
  private tally = emptyTally();

  /** Counts every command this client sends (initialize step) and every HTTP attempt (deserialize step). */
  attach(client: DynamoDBClient | SecretsManagerClient | SNSClient, service: string): void {
    const stack = client.middlewareStack as unknown as LooseStack;
    const nameOf = (context: { commandName?: string }) =>
      `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
    stack.add(
      (next, context) => async (args) => {
        const name = nameOf(context);
        bump(this.tally.commands, name);
        try {
          const result = await next(args);
          this.addCapacity(
            name,
            (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity,
          );
          return result;
        } catch (error) {
          bump(this.tally.failures, name);
          throw error;
        }
      },
      { step: 'initialize', name: 'benchCommandCounter' },
    );
    // The deserialize step runs inside the retry loop, once per request on the wire.
    stack.add(
      (next, context) => (args) => {
        bump(this.tally.attempts, nameOf(context));
        return next(args);
      },
      { step: 'deserialize', name: 'benchAttemptCounter' },
    );
  }

  /** Returns what was counted since the last take, and starts over. */
  take(): CallTally {
    const tally = this.tally;
    this.tally = emptyTally();
    return tally;
  }

  private addCapacity(name: string, capacity: Capacity | Capacity[] | undefined): void {
    for (const c of Array.isArray(capacity) ? capacity : capacity ? [capacity] : []) {
      const units = c.CapacityUnits ?? (c.ReadCapacityUnits ?? 0) + (c.WriteCapacityUnits ?? 0);
      if (READ_COMMANDS.has(name.split('.')[1] ?? '')) this.tally.readUnits += units;
      else this.tally.writeUnits += units;
    }
  }
}

function bump(counts: Record<string, number>, name: string): void {
  counts[name] = (counts[name] ?? 0) + 1;
}

export interface AwsRun {
  label: string;
  /** Simulated minutes since the first run. */
  atMinute: number;
  wallMs: number;
  calls: CallTally;
  /** State items the core changed (lease writes excluded). */
  stateWrites: number;
  alerts: number;
  publishes: PublishRecord[];
  /** Set when the run threw (a failed Publish, for instance). */
  error?: string;
}

export interface AwsCallsReport {
  pods: number;
  concurrency: number;
  /** First run on an empty table, then the warm steady runs, then the change scenarios. */
  first: AwsRun;
  steady: AwsRun[];
  tenPercentChanged: AwsRun;
  /** Every pod Failed at once (a cluster outage): one notification carries every alert. */
  allPodsDown: AwsRun;
  /** GetSecretValue calls over the warm runs, and the span they cover. */
  secrets: {
    steadyCalls: number;
    steadySpanMinutes: number;
    /** The key source alone, asked once a minute for `oneMinuteSpan` minutes (a 1-minute schedule). */
    oneMinuteScheduleCalls: number;
    oneMinuteSpanMinutes: number;
  };
}

export interface AwsCallsOptions {
  fake: FakeAlayaApi;
  dynalite: DynaliteHandle;
  impersonator: AwsImpersonator;
  secretId: string;
  topicArn: string;
  pods: number;
  concurrency: number;
  steadyRuns: number;
  scheduleMinutes: number;
}

export async function measureAwsCalls(options: AwsCallsOptions): Promise<AwsCallsReport> {
  const { fake, dynalite, impersonator, pods, concurrency } = options;
  const tableName = await dynalite.createTable('pod-watch-bench-aws-calls');
  const config = benchConfig({ pods, apiBaseUrl: fake.url, concurrency });
  const refs = benchPods(pods);
  const counter = new CallCounter();
  // Default retry settings, as in the handler: an attempt count above the command count is a finding.
  const ddb = new DynamoDBClient({ endpoint: dynalite.endpoint, region: REGION, credentials: CREDENTIALS });
  const secretsClient = new SecretsManagerClient({
    endpoint: impersonator.url,
    region: REGION,
    credentials: CREDENTIALS,
  });
  const snsClient = new SNSClient({ endpoint: impersonator.url, region: REGION, credentials: CREDENTIALS });
  counter.attach(ddb, 'DynamoDB');
  counter.attach(secretsClient, 'SecretsManager');
  counter.attach(snsClient, 'SNS');

  const start = Date.now();
  let simNow = start;
  const clock = () => simNow;
  const keySource = new SecretsManagerKeySource({ client: secretsClient, secretId: options.secretId, clock });
  const stateStore = new DynamoDbStateStore({ client: ddb, tableName, clock });
  const podApi = new AlayaHttpClient({
    baseUrl: config.apiBaseUrl,
    timeoutMs: config.timeoutSeconds * 1000,
    retries: config.retries,
    maxSockets: config.concurrency,
  });
  const deps = {
    keySource,
    podApi,
    stateStore,
    notifier: new SnsNotifier({ client: snsClient, topicArn: options.topicArn }),
    clock: { now: () => new Date(simNow) },
  };

  let runNumber = 0;
  const run = async (label: string): Promise<AwsRun> => {
    counter.take();
    const publishedBefore = impersonator.publishes.length;
    const started = performance.now();
    const base = { label, atMinute: (simNow - start) / MINUTE_MS };
    try {
      const result = await runCheck(config, deps, {
        runId: `bench-aws-calls-${++runNumber}`,
        leaseTtlMs: leaseTtlSeconds(config) * 1000,
        signal: AbortSignal.timeout(15 * MINUTE_MS),
      });
      if (result.status !== 'completed') throw new Error(`run skipped: ${result.reason}`);
      return {
        ...base,
        wallMs: performance.now() - started,
        calls: counter.take(),
        stateWrites: result.stats.stateWrites,
        alerts: result.stats.alertsSent,
        publishes: impersonator.publishes.slice(publishedBefore),
      };
    } catch (error) {
      return {
        ...base,
        wallMs: performance.now() - started,
        calls: counter.take(),
        stateWrites: 0,
        alerts: 0,
        publishes: impersonator.publishes.slice(publishedBefore),
        error: errorText(error),
      };
    }
  };
  const advance = (minutes: number) => {
    simNow += minutes * MINUTE_MS;
  };

  try {
    const first = await run('first run, empty table');
    const steady: AwsRun[] = [];
    const secretsBefore = keySource.callCount;
    for (let i = 0; i < options.steadyRuns; i++) {
      advance(options.scheduleMinutes);
      steady.push(await run(`steady ${i + 1}`));
    }
    const steadyCalls = keySource.callCount - secretsBefore;
    const steadySpanMinutes = (options.steadyRuns - 1) * options.scheduleMinutes;

    advance(options.scheduleMinutes);
    refs.forEach((pod, i) => {
      if (i % 10 === 0) fake.updatePod(pod.taskId, pod.podName, { restartCount: 1 });
    });
    const tenPercentChanged = await run('10% of pods restarted');

    advance(options.scheduleMinutes);
    for (const pod of refs) fake.updatePod(pod.taskId, pod.podName, { status: 'Failed' });
    const allPodsDown = await run('all pods Failed');

    return {
      pods,
      concurrency,
      first,
      steady,
      tenPercentChanged,
      allPodsDown,
      secrets: {
        steadyCalls,
        steadySpanMinutes,
        ...(await oneMinuteSchedule(secretsClient, counter, options.secretId, steadySpanMinutes)),
      },
    };
  } finally {
    // The fake is shared with later sections: give every pod its default, healthy answer back.
    for (const pod of refs) fake.setPod(pod.taskId, pod.podName);
    podApi.close();
    ddb.destroy();
    secretsClient.destroy();
    snsClient.destroy();
  }
}

/**
 * runCheck asks the key source once per run (when the key is not rejected), so a fresh key source
 * asked once a simulated minute is a 1-minute schedule's worth of key reads, without 26 full runs.
 */
async function oneMinuteSchedule(
  client: SecretsManagerClient,
  counter: CallCounter,
  secretId: string,
  spanMinutes: number,
): Promise<{ oneMinuteScheduleCalls: number; oneMinuteSpanMinutes: number }> {
  let simNow = 0;
  const keySource = new SecretsManagerKeySource({ client, secretId, clock: () => simNow });
  counter.take();
  for (let minute = 0; minute <= spanMinutes; minute++) {
    simNow = minute * MINUTE_MS;
    await keySource.getKey();
  }
  counter.take();
  return { oneMinuteScheduleCalls: keySource.callCount, oneMinuteSpanMinutes: spanMinutes };
}
