/**
 * Load: 2,000 configured pods through the real runCheck, AlayaHttpClient on the loopback fake API
 * and DynamoDbStateStore on dynalite, with SNS mocked to enforce its 256 KB message limit.
 * A tenth of the pods misbehave in assorted ways; the run must finish well inside the Lambda
 * timeout the stack would set for this config, check every healthy pod, and send exactly the
 * expected alerts in one notification.
 */
import { createServer } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvalidParameterException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlayaHttpClient } from '../../lambda/adapters/alaya-http-client';
import { DynamoDbStateStore } from '../../lambda/adapters/dynamodb-state-store';
import { SecretsManagerKeySource } from '../../lambda/adapters/secrets-manager-key-source';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import { type PodWatchConfig, type PodWatchConfigInput, parseConfig } from '../../lambda/config/config';
import { type RunResult, runCheck } from '../../lambda/core/run-check';
import { lambdaTimeoutSeconds, leaseTtlSeconds } from '../../lib/lambda-timeout';
import { type FakeAlayaApi, type FakeFault, startFakeAlayaApi } from '../../simulator/fake-alaya-api';
import { type DynaliteHandle, startDynalite } from '../support/dynalite';
import { FakeClock } from '../support/fakes';

const POD_COUNT = 2_000;
const KEY = 'sk-load-key';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:alerts';
/** SNS Publish refuses a message over 256 KB (262,144 bytes). */
const SNS_MAX_MESSAGE_BYTES = 262_144;

const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);

type Completed = Extract<RunResult, { status: 'completed' }>;
type Pod = { taskId: string; podName: string; name: string };

/** What each faulty pod does on the measured run, and what it must cause. */
type Behaviour =
  | 'healthy'
  | 'transient-5xx'
  | 'timeout'
  | 'http-503'
  | 'html'
  | 'malformed'
  | 'not-found'
  | 'failed'
  | 'pending'
  | 'restarted';

const FAULT_KINDS: Behaviour[] = [
  'timeout',
  'http-503',
  'html',
  'malformed',
  'not-found',
  'failed',
  'pending',
  'restarted',
];

function pods(n: number): Pod[] {
  return Array.from({ length: n }, (_, i) => ({
    taskId: `ca78d6b9-e196-5a0f-b1be-${i.toString(16).padStart(12, '0')}`,
    podName: `tn-exqr5k7lvj7k-worker-${i}`,
    name: `job-${i}`,
  }));
}

/** 10 % faulty (every tenth pod, cycling through FAULT_KINDS); 1 % of the rest fail once and heal. */
function behaviourOf(i: number): Behaviour {
  if (i % 10 === 3) return FAULT_KINDS[Math.floor(i / 10) % FAULT_KINDS.length] as Behaviour;
  if (i % 100 === 7) return 'transient-5xx';
  return 'healthy';
}

const EXPECTED_ALERT: Partial<Record<Behaviour, string>> = {
  timeout: 'check-failed',
  'http-503': 'check-failed',
  html: 'check-failed',
  malformed: 'check-failed',
  'not-found': 'check-failed',
  failed: 'not-running',
  pending: 'not-running',
  restarted: 'restarted',
};

const EXPECTED_HEALTH: Record<Behaviour, string> = {
  healthy: 'ok',
  'transient-5xx': 'ok',
  timeout: 'check-failed',
  'http-503': 'check-failed',
  html: 'check-failed',
  malformed: 'check-failed',
  'not-found': 'check-failed',
  failed: 'not-running',
  pending: 'not-running',
  restarted: 'ok',
};

let db: DynaliteHandle;
let api: FakeAlayaApi;
const closers: (() => void)[] = [];

function wire(config: PodWatchConfig, tableName: string, clock: FakeClock) {
  const podApi = new AlayaHttpClient({
    baseUrl: config.apiBaseUrl,
    timeoutMs: config.timeoutSeconds * 1000,
    retries: config.retries,
    maxSockets: config.concurrency,
  });
  const dynamo = db.newClient();
  const secretsClient = new SecretsManagerClient({});
  const snsClient = new SNSClient({});
  closers.push(
    () => podApi.close(),
    () => secretsClient.destroy(),
    () => snsClient.destroy(),
  );
  const now = () => clock.now().getTime();
  const deps = {
    keySource: new SecretsManagerKeySource({ client: secretsClient, secretId: 'alaya/key', clock: now }),
    podApi,
    stateStore: new DynamoDbStateStore({
      client: DynamoDBDocumentClient.from(dynamo),
      tableName,
      clock: now,
    }),
    notifier: new SnsNotifier({ client: snsClient, topicArn: TOPIC_ARN }),
    clock,
  };
  let n = 0;
  return async (): Promise<Completed> => {
    const result = await runCheck(config, deps, {
      runId: `load-${++n}`,
      leaseTtlMs: leaseTtlSeconds(config) * 1000,
    });
    clock.advanceMinutes(5);
    if (result.status !== 'completed') throw new Error('run skipped');
    return result;
  };
}

function publishes() {
  return sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
}

function loadConfig(all: Pod[], overrides: Partial<PodWatchConfigInput> = {}): PodWatchConfig {
  return parseConfig({
    pods: all,
    apiBaseUrl: api.url,
    concurrency: 16,
    timeoutSeconds: 1,
    retries: 1,
    alerts: { failureThreshold: 1, checkFailureThreshold: 1 },
    ...overrides,
  });
}

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db?.stop();
});

beforeEach(async () => {
  api = await startFakeAlayaApi({ validKeys: [KEY] });
  sns.reset();
  secrets.reset();
  // Like SNS: a message over 256 KB is refused, the whole Publish fails.
  sns.on(PublishCommand).callsFake(async (input: { Message?: string }) => {
    if (Buffer.byteLength(input.Message ?? '') > SNS_MAX_MESSAGE_BYTES) {
      throw new InvalidParameterException({
        message: 'Invalid parameter: Message too long',
        $metadata: { httpStatusCode: 400 },
      });
    }
    return { MessageId: `message-${publishes().length}` };
  });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ apiKey: KEY }) });
});

afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await api.close();
});

describe('load: 2,000 pods, 10 % of them faulty', () => {
  it('completes inside the Lambda timeout, checks every healthy pod and sends exactly the expected alerts in one notification', async () => {
    const all = pods(POD_COUNT);
    for (const pod of all) api.setPod(pod.taskId, pod.podName, { restartCount: 1 });
    const config = loadConfig(all);
    const timeoutS = lambdaTimeoutSeconds(config);
    const run = wire(config, await db.createTable(), new FakeClock());

    const baseline = await run();
    expect(baseline.pods.every((p) => p.health === 'ok')).toBe(true);
    expect(baseline.alerts).toEqual([]);
    expect(publishes()).toHaveLength(0);

    const behaviours = all.map((_, i) => behaviourOf(i));
    all.forEach((pod, i) => {
      const faults: Partial<Record<Behaviour, FakeFault>> = {
        'transient-5xx': { kind: 'http-status', status: 502, times: 1 },
        timeout: { kind: 'hang' },
        'http-503': { kind: 'http-status', status: 503 },
        html: { kind: 'html' },
        malformed: { kind: 'malformed-json' },
      };
      const b = behaviours[i] as Behaviour;
      const fault = faults[b];
      if (fault) api.setFault(pod.taskId, pod.podName, fault);
      if (b === 'not-found') api.removePod(pod.taskId, pod.podName);
      if (b === 'failed') api.updatePod(pod.taskId, pod.podName, { status: 'Failed' });
      if (b === 'pending') api.updatePod(pod.taskId, pod.podName, { status: 'Pending' });
      if (b === 'restarted') api.updatePod(pod.taskId, pod.podName, { restartCount: 3 });
    });
    for (const kind of FAULT_KINDS) expect(behaviours.filter((b) => b === kind)).toHaveLength(25);
    expect(behaviours.filter((b) => b === 'transient-5xx')).toHaveLength(20);
    api.resetStats();

    const started = Date.now();
    const result = await run();
    const elapsedMs = Date.now() - started;
    console.log(
      `load: ${POD_COUNT} pods, concurrency ${config.concurrency}: measured run ${elapsedMs} ms ` +
        `(Lambda timeout for this config ${timeoutS} s), baseline run ${baseline.stats.durationMs} ms`,
    );
    // The stack's bound is generous by design (every wave twice its timeout); the run must be inside it.
    expect(result.stats.durationMs).toBeLessThan(timeoutS * 1000);
    expect(elapsedMs).toBeLessThan(timeoutS * 1000);

    // Every pod reported, in config order, with the health its behaviour implies.
    expect(result.pods.map((p) => p.pod.podName)).toEqual(all.map((p) => p.podName));
    const wrongHealth = result.pods.filter(
      (p, i) => p.health !== EXPECTED_HEALTH[behaviours[i] as Behaviour],
    );
    expect(wrongHealth).toEqual([]);
    // Every healthy pod was really asked, once (twice for the one-off 5xx), and answered Running.
    const asked = new Map<string, number>();
    for (const r of api.requests) asked.set(r.path, (asked.get(r.path) ?? 0) + 1);
    all.forEach((pod, i) => {
      const b = behaviours[i] as Behaviour;
      if (b !== 'healthy' && b !== 'transient-5xx') return;
      const path = `/v1/training/instance/${pod.taskId}/${pod.podName}/basic`;
      expect(asked.get(path), path).toBe(b === 'healthy' ? 1 : 2);
      expect(result.pods[i]).toMatchObject({ health: 'ok', status: 'Running', restartCount: 1 });
    });

    // Exactly the expected (type, pod) pairs, nothing for the healthy or the healed pods.
    const expected = all
      .flatMap((pod, i) => {
        const type = EXPECTED_ALERT[behaviours[i] as Behaviour];
        return type ? [`${type} ${pod.podName}`] : [];
      })
      .sort();
    const actual = result.alerts.map((a) => `${a.type} ${a.pod?.podName ?? '(run)'}`).sort();
    expect(actual).toEqual(expected);
    expect(actual).toHaveLength(200);
    const behaviourByPod = new Map(all.map((p, i) => [p.podName, behaviours[i]]));
    const alertsOf = (b: Behaviour) =>
      result.alerts.filter((a) => behaviourByPod.get(a.pod?.podName ?? '') === b);
    expect(new Set(alertsOf('failed').map((a) => a.severity))).toEqual(new Set(['critical']));
    expect(new Set(alertsOf('pending').map((a) => a.severity))).toEqual(new Set(['warning']));
    expect(alertsOf('restarted').map((a) => [a.restartsBefore, a.restartsAfter])).toEqual(
      Array.from({ length: 25 }, () => [1, 3]),
    );

    // One notification, accepted by SNS, carrying all of it.
    expect(publishes()).toHaveLength(1);
    const input = publishes()[0];
    expect(input?.MessageAttributes?.severity?.StringValue).toBe('critical');
    expect(JSON.parse(input?.MessageAttributes?.type?.StringValue ?? '[]')).toEqual([
      'not-running',
      'restarted',
      'check-failed',
    ]);
    expect(Buffer.byteLength(input?.Message ?? '')).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
    expect((input?.Subject ?? '').length).toBeLessThan(100);

    // Only the changed pods were written: the 1,800 steady ones cost nothing.
    expect(result.stats.stateWrites).toBe(200);
  }, 60_000);

  it('a whole-API outage across 2,000 pods: the check-failed and recovery notifications are accepted by SNS (≤ 256 KB)', async () => {
    const all = pods(POD_COUNT);
    for (const pod of all) api.setPod(pod.taskId, pod.podName);
    // No retries: connection refused is immediate, and the backoff is not what this test is about.
    const config = loadConfig(all, { retries: 0 });
    const clock = new FakeClock();
    const tableName = await db.createTable();
    const run = wire(config, tableName, clock);
    await run();

    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const { port } = dead.address() as { port: number };
    await new Promise((resolve) => dead.close(resolve));
    const down = wire(
      loadConfig(all, { retries: 0, apiBaseUrl: `http://127.0.0.1:${port}` }),
      tableName,
      clock,
    );

    // A notification too large for SNS fails every run, and state never advances past it: the
    // outage alert, and every later alert, would be lost for good.
    const outage = await down();
    expect(outage.alerts).toHaveLength(POD_COUNT);
    expect(publishes()).toHaveLength(1);
    expect(Buffer.byteLength(publishes()[0]?.Message ?? '')).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);

    const recovered = await run();
    expect(recovered.alerts.every((a) => a.type === 'recovered')).toBe(true);
    expect(publishes()).toHaveLength(2);
  }, 60_000);
});
