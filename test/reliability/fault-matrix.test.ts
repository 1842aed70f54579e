/**
 * The fault matrix of docs/reliability.md, end to end: each test drives the real `runCheck` with
 * the real adapters (AlayaHttpClient against the loopback fake Alaya API, DynamoDbStateStore against
 * dynalite, SecretsManagerKeySource and SnsNotifier over aws-sdk-client-mock) through several
 * scheduled runs, and checks the promise users rely on: the run keeps going, no alert is lost, no
 * false alert is sent, and it recovers by itself. Test names match the rows of the matrix.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlayaHttpClient } from '../../lambda/adapters/alaya-http-client';
import { CredentialChatChannels } from '../../lambda/adapters/chat-channel-source';
import {
  DynamoDbStateStore,
  type DynamoDbStateStoreOptions,
  LEASE_KEY,
} from '../../lambda/adapters/dynamodb-state-store';
import { SecretsManagerKeySource } from '../../lambda/adapters/secrets-manager-key-source';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import {
  ConfigError,
  type PodWatchConfig,
  type PodWatchConfigInput,
  parseConfig,
  podKey,
} from '../../lambda/config/config';
import { type RunDeps, type RunResult, runCheck } from '../../lambda/core/run-check';
import type { CheckErrorKind } from '../../lambda/core/types';
import { makeScheduledHandler, type RunMetrics, type StructuredLogger } from '../../lambda/scheduled-run';
import { leaseTtlSeconds } from '../../lib/lambda-timeout';
import { type FakeAlayaApi, type FakeFault, startFakeAlayaApi } from '../../simulator/fake-alaya-api';
import { type DynaliteHandle, startDynalite } from '../support/dynalite';
import { FakeClock } from '../support/fakes';

const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const PODS = [
  { taskId: TASK, podName: 'train-a-0', name: 'train-a' },
  { taskId: TASK, podName: 'train-b-0', name: 'train-b' },
  { taskId: TASK, podName: 'train-c-0', name: 'train-c' },
];
const POD_B = PODS[1] as (typeof PODS)[number];
const KEY = 'sk-matrix-key-1';
const SECRET_ID = 'alaya/pod-watch/api-key';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:alerts';

const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);

let db: DynaliteHandle;
let api: FakeAlayaApi;

type Completed = Extract<RunResult, { status: 'completed' }>;

/** Errors the DynamoDB middleware throws (or `unprocessed` keys it hands back) per attempt. */
interface DynamoFaults {
  fail?: (command: string, input: Record<string, unknown>) => Error | undefined;
  /** For the n-th BatchGetItem call (1-based): the keys to return as UnprocessedKeys. */
  unprocessed?: (call: number) => readonly string[];
}

interface HarnessOptions {
  config?: Partial<PodWatchConfigInput>;
  /** Share a table (and a clock) with another harness: a second container of the same stack. */
  tableName?: string;
  clock?: FakeClock;
  /** A DynamoDB client with the SDK's default retries (3 attempts) instead of dynalite's 1. */
  sdkRetries?: boolean;
  store?: Partial<DynamoDbStateStoreOptions>;
}

const harnesses: Harness[] = [];

/**
 * One deployment of the watcher: the adapters wired as lambda/handler.ts wires them (one
 * "container"), the config, a fake clock moving 5 minutes per scheduled run, and fault hooks.
 */
class Harness {
  readonly clock: FakeClock;
  readonly config: PodWatchConfig;
  readonly tableName: string;
  readonly faults: DynamoFaults = {};
  batchGetCalls = 0;
  keySource!: SecretsManagerKeySource;
  store!: DynamoDbStateStore;
  podApi!: AlayaHttpClient;
  notifier!: SnsNotifier;
  private runs = 0;
  private readonly closers: (() => void)[] = [];

  constructor(
    tableName: string,
    private readonly options: HarnessOptions = {},
  ) {
    this.tableName = tableName;
    this.clock = options.clock ?? new FakeClock();
    this.config = parseConfig({
      pods: PODS,
      apiBaseUrl: api.url,
      concurrency: 4,
      timeoutSeconds: 1,
      retries: 1,
      alerts: { failureThreshold: 1, checkFailureThreshold: 2, reminderMinutes: 240, sendRecovered: true },
      ...options.config,
    });
    this.coldStart();
    harnesses.push(this);
  }

  get leaseTtlMs(): number {
    return leaseTtlSeconds(this.config) * 1000;
  }

  /** A new container: fresh clients, an empty key cache, a new HTTP agent. */
  coldStart(): void {
    const now = () => this.clock.now().getTime();
    const dynamo = this.options.sdkRetries
      ? new DynamoDBClient({
          endpoint: db.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        })
      : db.newClient();
    this.injectFaults(dynamo);
    const secretsClient = new SecretsManagerClient({});
    const snsClient = new SNSClient({});
    this.closers.push(
      () => dynamo.destroy(),
      () => secretsClient.destroy(),
      () => snsClient.destroy(),
    );
    this.keySource = new SecretsManagerKeySource({ client: secretsClient, secretId: SECRET_ID, clock: now });
    this.store = new DynamoDbStateStore({
      client: DynamoDBDocumentClient.from(dynamo),
      tableName: this.tableName,
      clock: now,
      ...this.options.store,
    });
    this.usePodApi(this.config.apiBaseUrl);
    this.notifier = new SnsNotifier({ client: snsClient, topicArn: TOPIC_ARN });
  }

  /** Points the HTTP client at another base URL (a dead port, then the API again). */
  usePodApi(baseUrl: string): void {
    const client = new AlayaHttpClient({
      baseUrl,
      timeoutMs: this.config.timeoutSeconds * 1000,
      retries: this.config.retries,
      maxSockets: this.config.concurrency,
    });
    this.closers.push(() => client.close());
    this.podApi = client;
  }

  deps(): RunDeps {
    const keySource = this.keySource;
    return {
      keySource,
      podApi: this.podApi,
      stateStore: this.store,
      notifier: this.notifier,
      clock: this.clock,
      // As lambda/handler.ts wires it, with plain http allowed for the loopback fake.
      chat: new CredentialChatChannels(
        this.config.webhooks,
        () => keySource.getWebhooks(),
        `secret ${SECRET_ID}`,
        {
          allowHttpLoopback: true,
          timeoutMs: 2_000,
        },
      ),
    };
  }

  /** One scheduled run; the clock then moves on to the next tick. */
  async attempt(options: { runId?: string; advanceMinutes?: number } = {}): Promise<RunResult> {
    const runId = options.runId ?? `run-${++this.runs}`;
    try {
      return await runCheck(this.config, this.deps(), { runId, leaseTtlMs: this.leaseTtlMs });
    } finally {
      this.clock.advanceMinutes(options.advanceMinutes ?? 5);
    }
  }

  async run(): Promise<Completed> {
    const result = await this.attempt();
    if (result.status !== 'completed') throw new Error(`run ${this.runs} was skipped: ${result.reason}`);
    return result;
  }

  /** The run's error, which the Lambda handler rethrows (the Errors alarm counts it). */
  async failingRun(): Promise<Error> {
    const error = await this.attempt().then(
      (r) => new Error(`expected the run to throw, it ended ${r.status}`),
      (e: unknown) => e as Error,
    );
    if (error.message.startsWith('expected the run to throw')) throw error;
    return error;
  }

  close(): void {
    for (const close of this.closers.splice(0)) close();
  }

  private injectFaults(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName).replace(/Command$/, '');
        const input = args.input as Record<string, unknown>;
        const error = this.faults.fail?.(command, input);
        if (error) throw error;
        const result = await next(args);
        if (command !== 'BatchGetItem') return result;
        const call = ++this.batchGetCalls;
        const drop = new Set(this.faults.unprocessed?.(call) ?? []);
        if (drop.size === 0) return result;
        // Hand some of the items back as UnprocessedKeys, as DynamoDB does under load.
        const output = result.output as {
          Responses?: Record<string, Record<string, unknown>[]>;
          UnprocessedKeys?: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead?: boolean }>;
        };
        const items = output.Responses?.[this.tableName] ?? [];
        const keyOf = (item: Record<string, unknown>) => {
          const pk = item.pk as string | { S?: string };
          return typeof pk === 'string' ? pk : pk.S;
        };
        const asKey = (key: string, like: Record<string, unknown> | undefined) =>
          like && typeof like.pk !== 'string' ? { pk: { S: key } } : { pk: key };
        const requested = ((input.RequestItems as Record<string, { Keys: Record<string, unknown>[] }>)[
          this.tableName
        ]?.Keys ?? []) as Record<string, unknown>[];
        const requestedKeys = requested.map(keyOf).filter((k): k is string => k !== undefined);
        const unprocessed = requestedKeys.filter((k) => drop.has(k));
        output.Responses = {
          ...output.Responses,
          [this.tableName]: items.filter((item) => !drop.has(keyOf(item) ?? '')),
        };
        output.UnprocessedKeys = {
          [this.tableName]: { Keys: unprocessed.map((k) => asKey(k, items[0])), ConsistentRead: true },
        };
        return result;
      },
      { step: 'deserialize', priority: 'high', name: 'faultInjection' },
    );
  }
}

function harness(options: HarnessOptions & { tableName?: string } = {}): Promise<Harness> {
  return (async () => new Harness(options.tableName ?? (await db.createTable()), options))();
}

interface Published {
  subject?: string;
  severity?: string;
  types: string[];
  email: string;
  sms: string;
}

function published(): Published[] {
  return sns.commandCalls(PublishCommand).map((call) => {
    const input = call.args[0].input;
    const body = JSON.parse(input.Message ?? '{}') as { email?: string; sms?: string };
    return {
      subject: input.Subject,
      severity: input.MessageAttributes?.severity?.StringValue,
      types: JSON.parse(input.MessageAttributes?.type?.StringValue ?? '[]') as string[],
      email: body.email ?? '',
      sms: body.sms ?? '',
    };
  });
}

/** `type pod` per alert (`(run)` for run-wide ones), in the order of the notification. */
function pairs(result: Completed): string[] {
  return result.alerts.map(
    (a) => `${a.type}${a.reminder ? ' (reminder)' : ''} ${a.pod ? (a.pod.name ?? a.pod.podName) : '(run)'}`,
  );
}

function health(result: Completed): string[] {
  return result.pods.map((p) => `${p.pod.name ?? p.pod.podName} ${p.health}`);
}

function requestsFor(podName: string): number {
  return api.requests.filter((r) => r.path.includes(`/${podName}/basic`)).length;
}

/** Every state item (not the lease) as `pk → version`. */
async function versions(tableName: string): Promise<Record<string, number>> {
  const doc = DynamoDBDocumentClient.from(db.client);
  const { Items = [] } = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Object.fromEntries(
    Items.filter((i) => i.pk !== LEASE_KEY)
      .map((i) => [String(i.pk), Number(i.version)] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

async function leaseItem(tableName: string): Promise<Record<string, unknown> | undefined> {
  const doc = DynamoDBDocumentClient.from(db.client);
  const { Item } = await doc.send(
    new GetCommand({ TableName: tableName, Key: { pk: LEASE_KEY }, ConsistentRead: true }),
  );
  return Item;
}

function throttled(): ProvisionedThroughputExceededException {
  return new ProvisionedThroughputExceededException({
    message: 'The level of configured provisioned throughput for the table was exceeded.',
    $metadata: { httpStatusCode: 400 },
  });
}

function smError(name: string): SecretsManagerServiceException {
  return new SecretsManagerServiceException({
    name,
    message: `${name} happened`,
    $fault: 'server',
    $metadata: {},
  });
}

function secretCalls(): number {
  return secrets.commandCalls(GetSecretValueCommand).length;
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db?.stop();
});

beforeEach(async () => {
  api = await startFakeAlayaApi({ validKeys: [KEY] });
  for (const pod of PODS) api.setPod(pod.taskId, pod.podName, { restartCount: 0 });
  sns.reset();
  secrets.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ apiKey: KEY }) });
});

afterEach(async () => {
  for (const h of harnesses.splice(0)) h.close();
  vi.unstubAllEnvs();
  await api.close();
});

describe('fault matrix: the Alaya API fails for one pod', () => {
  const persistent: [string, FakeFault, CheckErrorKind, RegExp][] = [
    ['Alaya API timeout', { kind: 'hang' }, 'timeout', /^no complete answer within 1 s$/],
    ['connection reset', { kind: 'reset' }, 'network', /ECONNRESET/],
    [
      'slow trickle of bytes (past the request timeout)',
      { kind: 'trickle', intervalMs: 100, bytesPerTick: 1 },
      'timeout',
      /^no complete answer within 1 s$/,
    ],
    ['HTTP 5xx that persists', { kind: 'http-status', status: 503 }, 'http', /^HTTP 503 from the API/],
    [
      '429 with a Retry-After beyond the 30 s cap',
      { kind: 'http-status', status: 429, retryAfter: 120 },
      'http',
      /asked to wait 120 s before retrying/,
    ],
    [
      'HTTP 200 with body status 500',
      { kind: 'body-status', status: 500, message: 'db down' },
      'api-status',
      /^the API answered body status 500: db down \(HTTP 200\)$/,
    ],
    ['an HTML page', { kind: 'html' }, 'not-json', /HTML page, not JSON: apiBaseUrl .* is probably wrong/],
    ['malformed JSON', { kind: 'malformed-json' }, 'not-json', /malformed JSON \(\d+ bytes\)/],
    [
      'a missing field',
      { kind: 'missing-field', field: 'createTime' },
      'invalid-response',
      /^data\.createTime: expected a string, got nothing \(missing\)$/,
    ],
    [
      'a mistyped field',
      { kind: 'wrong-type', field: 'restartCount', value: '7' },
      'invalid-response',
      /^data\.restartCount: expected a non-negative integer, got string$/,
    ],
    ['a body over 1 MiB (Content-Length)', { kind: 'huge' }, 'too-large', /exceeds 1 MiB \(Content-Length/],
    [
      'a body over 1 MiB (chunked, no Content-Length)',
      { kind: 'huge', chunked: true },
      'too-large',
      /stopped reading after 1 MiB/,
    ],
    ['pod or task not found (HTTP 404)', { kind: 'not-found' }, 'not-found', /^pod or task not found/],
  ];

  it.each(persistent)(
    '%s: the run goes on, check-failed once after the threshold, no false alert, then recovered',
    async (_row, fault, kind, message) => {
      const h = await harness();
      expect(pairs(await h.run())).toEqual([]);
      const baseline = await versions(h.tableName);

      api.setFault(TASK, POD_B.podName, fault);
      const first = await h.run();
      expect(health(first)).toEqual(['train-a ok', 'train-b check-failed', 'train-c ok']);
      expect(first.pods[1]).toMatchObject({ errorKind: kind, error: expect.stringMatching(message) });
      // Below checkFailureThreshold (2): nothing is said yet.
      expect(first.alerts).toEqual([]);
      expect(published()).toHaveLength(0);

      const second = await h.run();
      expect(pairs(second)).toEqual(['check-failed train-b']);
      expect(published()).toHaveLength(1);
      expect(published()[0]).toMatchObject({ severity: 'warning', types: ['check-failed'] });
      expect(published()[0]?.email).toContain(second.pods[1]?.error?.slice(0, 40));

      // Still failing: no repeat before the reminder is due.
      expect(pairs(await h.run())).toEqual([]);
      expect(published()).toHaveLength(1);

      api.setFault(TASK, POD_B.podName, undefined);
      const healed = await h.run();
      expect(health(healed)).toEqual(['train-a ok', 'train-b ok', 'train-c ok']);
      // Recovered, and nothing else: the faulty answers never moved the restart baseline.
      expect(pairs(healed)).toEqual(['recovered train-b']);
      expect(pairs(await h.run())).toEqual([]);
      expect(published().flatMap((p) => p.types)).toEqual(['check-failed', 'recovered']);
      // The healthy pods were never rewritten.
      const after = await versions(h.tableName);
      expect(after[podKey(PODS[0] as (typeof PODS)[number])]).toBe(
        baseline[podKey(PODS[0] as (typeof PODS)[number])],
      );
      expect(after[podKey(PODS[2] as (typeof PODS)[number])]).toBe(
        baseline[podKey(PODS[2] as (typeof PODS)[number])],
      );
    },
    30_000,
  );

  const transient: [string, FakeFault, number][] = [
    ['HTTP 5xx then success', { kind: 'http-status', status: 502, times: 1 }, 2],
    ['HTTP 200 with body status 503 then success', { kind: 'body-status', status: 503, times: 1 }, 2],
    ['429 with Retry-After then success', { kind: 'http-status', status: 429, retryAfter: 1, times: 1 }, 2],
    ['a timeout then success', { kind: 'hang', times: 1 }, 2],
    ['a connection reset then success', { kind: 'reset', times: 1 }, 2],
    [
      'a slow trickle that completes within the timeout',
      { kind: 'trickle', intervalMs: 5, bytesPerTick: 40 },
      1,
    ],
  ];

  it.each(transient)(
    '%s: retried within the run, the pod is healthy and nothing is sent',
    async (_row, fault, requests) => {
      const h = await harness();
      await h.run();
      api.setFault(TASK, POD_B.podName, fault);
      api.resetStats();

      const result = await h.run();
      expect(health(result)).toEqual(['train-a ok', 'train-b ok', 'train-c ok']);
      expect(result.alerts).toEqual([]);
      expect(published()).toHaveLength(0);
      expect(result.stats.stateWrites).toBe(0);
      expect(requestsFor(POD_B.podName)).toBe(requests);
      if (fault.kind === 'http-status' && fault.retryAfter !== undefined) {
        // Retry-After: 1 was honoured (a lower bound: waiting is the behaviour under test).
        expect(result.stats.durationMs).toBeGreaterThanOrEqual(900);
      }
    },
    30_000,
  );
});

describe('fault matrix: the Alaya API as a whole', () => {
  it('connection refused: every pod check-failed in ONE notification after the threshold, then recovered', async () => {
    const h = await harness();
    await h.run();
    h.usePodApi(`http://127.0.0.1:${await deadPort()}`);

    const first = await h.run();
    expect(first.pods.map((p) => [p.health, p.errorKind])).toEqual([
      ['check-failed', 'network'],
      ['check-failed', 'network'],
      ['check-failed', 'network'],
    ]);
    expect(first.pods[0]?.error).toMatch(/^network error ECONNREFUSED/);
    expect(first.alerts).toEqual([]);

    const second = await h.run();
    expect(pairs(second)).toEqual(['check-failed train-a', 'check-failed train-b', 'check-failed train-c']);
    expect(published()).toHaveLength(1);
    // Network failures are not a key problem: no auth-failed.
    expect(published()[0]?.types).toEqual(['check-failed']);

    h.usePodApi(api.url);
    expect(pairs(await h.run())).toEqual(['recovered train-a', 'recovered train-b', 'recovered train-c']);
    expect(published()).toHaveLength(2);
    expect(pairs(await h.run())).toEqual([]);
  });

  const rejections: [string, () => void][] = [
    ['HTTP 401 with body status 40401', () => api.setValidKeys(['another-key'])],
    [
      'HTTP 401 with body status 401',
      () =>
        api.setGlobalFault({
          kind: 'http-status',
          status: 401,
          body: { status: 401, message: 'Unauthorized', data: {} },
        }),
    ],
    [
      'HTTP 403 with an HTML page',
      () =>
        api.setGlobalFault({
          kind: 'http-status',
          status: 403,
          body: '<html><body><h1>403 Forbidden</h1></body></html>',
          contentType: 'text/html',
        }),
    ],
    [
      'HTTP 200 with body status 40001',
      () => api.setGlobalFault({ kind: 'body-status', status: 40001, message: 'token expired' }),
    ],
  ];

  it.each(rejections)(
    'key rejected (%s): ONE critical auth-failed for the run, the key re-read once, no per-pod alert, then recovered',
    async (_row, reject) => {
      const h = await harness();
      await h.run();
      const baseline = await versions(h.tableName);
      reject();

      const before = secretCalls();
      const rejected = await h.run();
      expect(pairs(rejected)).toEqual(['auth-failed (run)']);
      expect(rejected.alerts[0]).toMatchObject({ severity: 'critical', podsAffected: 3 });
      // One normal read and one forced re-read after the rejection (a rotated key would heal here).
      expect(secretCalls() - before).toBe(2);
      expect(published()).toHaveLength(1);
      expect(published()[0]).toMatchObject({ severity: 'critical', types: ['auth-failed'] });
      expect(published()[0]?.email).toMatch(/Pods affected\W+3/);

      expect(pairs(await h.run())).toEqual([]);
      // The pods were not blamed: their state is untouched.
      const during = await versions(h.tableName);
      for (const pod of PODS) expect(during[podKey(pod)]).toBe(baseline[podKey(pod)]);

      api.setValidKeys([KEY]);
      api.setGlobalFault(undefined);
      const healed = await h.run();
      expect(pairs(healed)).toEqual(['recovered (run)']);
      expect(healed.alerts[0]?.recoveredFrom).toBe('auth-failed');
      expect(published()).toHaveLength(2);
      expect(pairs(await h.run())).toEqual([]);
    },
  );
});

describe('fault matrix: the API key cannot be read', () => {
  const keyFaults: [string, () => void, RegExp][] = [
    [
      'Secrets Manager unavailable',
      () => secrets.on(GetSecretValueCommand).rejects(smError('InternalServiceError')),
      /secret alaya\/pod-watch\/api-key could not be read \(InternalServiceError\)$/,
    ],
    [
      'Secrets Manager throttled',
      () => secrets.on(GetSecretValueCommand).rejects(smError('ThrottlingException')),
      /could not be read \(ThrottlingException\)$/,
    ],
    [
      'Secrets Manager access denied',
      () => secrets.on(GetSecretValueCommand).rejects(smError('AccessDeniedException')),
      /access to secret .* denied .*secretsmanager:GetSecretValue/,
    ],
    [
      'secret deleted',
      () => secrets.on(GetSecretValueCommand).rejects(smError('ResourceNotFoundException')),
      /secret alaya\/pod-watch\/api-key not found$/,
    ],
    ['secret empty', () => secrets.on(GetSecretValueCommand).resolves({ SecretString: '  ' }), /is empty$/],
    [
      'secret still the placeholder the stack created',
      () => secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"apiKey":""}' }),
      /has no API key yet: put it with aws secretsmanager put-secret-value/,
    ],
    [
      'secret in an unknown shape',
      () => secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"token":"sk-x"}' }),
      /holds JSON without an "apiKey" string/,
    ],
    [
      'secret binary',
      () => secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) }),
      /has no SecretString/,
    ],
  ];

  it.each(keyFaults)(
    '%s: the run does not throw, no pod is checked, ONE run-wide critical check-failed after the threshold, then recovered',
    async (_row, breakSecret, message) => {
      const h = await harness();
      await h.run();
      const baseline = await versions(h.tableName);
      h.coldStart();
      secrets.reset();
      breakSecret();
      api.resetStats();

      const first = await h.run();
      expect(first.pods.every((p) => p.health === 'check-failed')).toBe(true);
      expect(first.pods[0]?.error).toMatch(/^not checked: /);
      expect(first.pods[0]?.error).toMatch(message);
      expect(first.alerts).toEqual([]);
      expect(api.requests).toHaveLength(0);

      const second = await h.run();
      expect(pairs(second)).toEqual(['check-failed (run)']);
      expect(second.alerts[0]).toMatchObject({ severity: 'critical', error: expect.stringMatching(message) });
      expect(published()).toEqual([
        expect.objectContaining({ severity: 'critical', types: ['check-failed'] }),
      ]);
      expect(pairs(await h.run())).toEqual([]);
      expect(api.requests).toHaveLength(0);
      // No pod was blamed for the key: their state never moved.
      const during = await versions(h.tableName);
      for (const pod of PODS) expect(during[podKey(pod)]).toBe(baseline[podKey(pod)]);

      secrets.reset();
      secrets.on(GetSecretValueCommand).resolves({ SecretString: KEY });
      const healed = await h.run();
      expect(health(healed)).toEqual(['train-a ok', 'train-b ok', 'train-c ok']);
      expect(pairs(healed)).toEqual(['recovered (run)']);
      expect(api.requests).toHaveLength(3);
      expect(published()).toHaveLength(2);
    },
  );
});

describe('fault matrix: DynamoDB', () => {
  it('DynamoDB throttled on reads: the run throws StateReadError before checking or sending, then the next run sends the alert', async () => {
    const h = await harness();
    await h.run();
    api.updatePod(TASK, POD_B.podName, { restartCount: 1 });
    h.faults.fail = (command) => (command === 'BatchGetItem' ? throttled() : undefined);
    api.resetStats();

    const error = await h.failingRun();
    expect(error).toMatchObject({
      name: 'StateReadError',
      message: expect.stringContaining('ProvisionedThroughputExceededException'),
    });
    expect(api.requests).toHaveLength(0);
    expect(published()).toHaveLength(0);
    expect(await leaseItem(h.tableName)).toBeUndefined();

    h.faults.fail = undefined;
    expect(pairs(await h.run())).toEqual(['restarted train-b']);
    expect(pairs(await h.run())).toEqual([]);
    expect(published()).toHaveLength(1);
  });

  it('DynamoDB throttled briefly: absorbed by the SDK retries (handler default client), one alert', async () => {
    const h = await harness({ sdkRetries: true });
    await h.run();
    api.updatePod(TASK, POD_B.podName, { restartCount: 1 });
    let throttles = 0;
    h.faults.fail = (command) => (command === 'BatchGetItem' && throttles++ === 0 ? throttled() : undefined);

    expect(pairs(await h.run())).toEqual(['restarted train-b']);
    expect(throttles).toBeGreaterThanOrEqual(2);
    expect(published()).toHaveLength(1);
  });

  it('DynamoDB throttled on the state write after Publish: StateWriteError, and the next run sends the alert again (at-least-once)', async () => {
    const h = await harness();
    await h.run();
    api.updatePod(TASK, POD_B.podName, { restartCount: 1 });
    h.faults.fail = (command, input) =>
      command === 'PutItem' && (input.Item as { pk?: { S?: string } }).pk?.S !== LEASE_KEY
        ? throttled()
        : undefined;

    const error = await h.failingRun();
    expect(error).toMatchObject({
      name: 'StateWriteError',
      message: expect.stringMatching(/train-b-0 \(Provisioned/),
    });
    expect(published()).toHaveLength(1);
    expect(await leaseItem(h.tableName)).toBeUndefined();

    h.faults.fail = undefined;
    expect(pairs(await h.run())).toEqual(['restarted train-b']);
    expect(published()).toHaveLength(2);
    expect(published()[1]?.email).toContain('restarts 0 → 1');
    expect(pairs(await h.run())).toEqual([]);
  });

  it('UnprocessedKeys: retried until every key is read, so a known pod is never mistaken for a new one', async () => {
    const h = await harness();
    await h.run();
    api.updatePod(TASK, POD_B.podName, { restartCount: 1 });
    h.batchGetCalls = 0;
    h.faults.unprocessed = (call) => (call <= 2 ? [podKey(POD_B), '#run'] : []);

    const result = await h.run();
    // Had train-b's state been dropped, it would look first-seen and the restart would be lost.
    expect(pairs(result)).toEqual(['restarted train-b']);
    expect(h.batchGetCalls).toBe(3);
    expect(h.store.stats.batchGetRetries).toBe(2);
    expect(published()).toHaveLength(1);
  });

  it('UnprocessedKeys that never drain: StateReadError after 8 tries, nothing checked or sent', async () => {
    const h = await harness({ store: { random: () => 0 } });
    await h.run();
    h.batchGetCalls = 0;
    h.faults.unprocessed = () => [podKey(POD_B)];
    api.resetStats();

    const error = await h.failingRun();
    expect(error).toMatchObject({
      name: 'StateReadError',
      message: expect.stringContaining('still unprocessed after 8 tries'),
    });
    expect(h.batchGetCalls).toBe(8);
    expect(api.requests).toHaveLength(0);
    expect(published()).toHaveLength(0);
  });

  it('a corrupt state item: StateReadError, nothing sent, the item left as it is', async () => {
    const h = await harness();
    await h.run();
    const doc = DynamoDBDocumentClient.from(db.client);
    await doc.send(
      new PutCommand({
        TableName: h.tableName,
        Item: { pk: podKey(POD_B), version: 'one', state: 'garbage' },
      }),
    );
    const error = await h.failingRun();
    expect(error).toMatchObject({ name: 'StateReadError', message: expect.stringContaining('is malformed') });
    expect(published()).toHaveLength(0);
    const { Item } = await doc.send(new GetCommand({ TableName: h.tableName, Key: { pk: podKey(POD_B) } }));
    expect(Item).toEqual({ pk: podKey(POD_B), version: 'one', state: 'garbage' });
  });

  it('a conditional-write conflict from an overlapping run: the loser throws StateConflictError, the state of the winning run stands, the alert may be sent twice, never lost', async () => {
    const a = await harness();
    await a.run();
    const b = await harness({ tableName: a.tableName, clock: a.clock });
    api.updatePod(TASK, POD_B.podName, { restartCount: 1 });

    // Run A is frozen inside its Publish long enough for its lease to run out; run B (another
    // container) takes the lease, decides, publishes and commits in the meantime.
    let bStarted = false;
    let bResult: RunResult | undefined;
    sns.on(PublishCommand).callsFake(async () => {
      if (!bStarted) {
        bStarted = true;
        a.clock.advanceMinutes(leaseTtlSeconds(a.config) / 60 + 1);
        bResult = await runCheck(b.config, b.deps(), { runId: 'run-b', leaseTtlMs: b.leaseTtlMs });
      }
      return { MessageId: 'message-x' };
    });

    const error = await a.failingRun();
    expect(error).toMatchObject({
      name: 'StateConflictError',
      message: expect.stringContaining(podKey(POD_B)),
    });
    expect(bResult).toMatchObject({ status: 'completed' });
    expect(pairs(bResult as Completed)).toEqual(['restarted train-b']);
    // Both runs decided the same restart: a duplicate, not a loss.
    expect(published().map((p) => p.types)).toEqual([['restarted'], ['restarted']]);
    expect((await versions(a.tableName))[podKey(POD_B)]).toBe(2);
    expect(await leaseItem(a.tableName)).toBeUndefined();

    sns.on(PublishCommand).resolves({ MessageId: 'message-2' });
    expect(pairs(await a.run())).toEqual([]);
    expect(published()).toHaveLength(2);
  });

  it('the process dying between Publish and the state commit: at-least-once, the next run after the lease expires sends the alert again', async () => {
    const h = await harness();
    await h.run();
    api.updatePod(TASK, POD_B.podName, { restartCount: 1 });

    // From the moment Publish returns, nothing this process does reaches DynamoDB: neither the
    // commit nor the lease release. That is what a crash (or a Lambda timeout) looks like.
    let dead = false;
    sns.on(PublishCommand).callsFake(async () => {
      dead = true;
      return { MessageId: 'message-1' };
    });
    h.faults.fail = () =>
      dead ? Object.assign(new Error('the process is gone'), { name: 'ProcessKilled' }) : undefined;
    await h.attempt({ advanceMinutes: 1 }).catch(() => undefined);
    expect(published()).toHaveLength(1);
    expect(await leaseItem(h.tableName)).toMatchObject({ owner: 'run-2' });

    // A new container. Within the dead run's lease (Lambda timeout + 60 s) runs are skipped...
    dead = false;
    h.faults.fail = undefined;
    h.coldStart();
    sns.on(PublishCommand).resolves({ MessageId: 'message-2' });
    expect(await h.attempt({ advanceMinutes: 4 })).toMatchObject({ status: 'skipped' });
    expect(published()).toHaveLength(1);

    // ...then the next run finds the state as it was before the alert, and sends it again.
    const resent = await h.run();
    expect(pairs(resent)).toEqual(['restarted train-b']);
    expect(published()).toHaveLength(2);
    expect(published()[1]?.email).toContain('restarts 0 → 1');
    expect(pairs(await h.run())).toEqual([]);
    expect(published()).toHaveLength(2);
  });
});

/** A loopback Slack incoming webhook: answers 500 while `failing`, records every post. */
async function slackFake(): Promise<{
  url: string;
  failing: boolean;
  posts: { ok: boolean; body: string }[];
  close(): Promise<void>;
}> {
  const posts: { ok: boolean; body: string }[] = [];
  const state = { failing: false };
  const server: HttpServer = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      posts.push({ ok: !state.failing, body });
      res.writeHead(state.failing ? 500 : 200, { 'content-type': 'text/plain' });
      res.end(state.failing ? 'internal_error' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('fault matrix: chat webhooks', () => {
  it('a chat webhook failing: the SNS alert still goes out, the run does not throw, the channel gets its backlog later, nobody gets a duplicate', async () => {
    const chat = await slackFake();
    try {
      secrets.on(GetSecretValueCommand).resolves({
        SecretString: JSON.stringify({
          apiKey: KEY,
          webhooks: { ops: { url: `${chat.url}/services/T0001/B0001/chat-token-123456` } },
        }),
      });
      const h = await harness({ config: { webhooks: [{ name: 'ops', type: 'slack' }] } });
      await h.run();
      expect(chat.posts).toHaveLength(0);

      chat.failing = true;
      api.updatePod(TASK, POD_B.podName, { restartCount: 1 });
      const first = await h.run();
      expect(pairs(first)).toEqual(['restarted train-b']);
      expect(first.chatFailures).toEqual([
        { channel: 'ops', error: expect.stringMatching(/^webhook ops \(slack\): HTTP 500: internal_error/) },
      ]);
      expect(published().map((p) => p.types)).toEqual([['restarted']]);

      api.updatePod(TASK, 'train-c-0', { status: 'Pending' });
      const second = await h.run();
      expect(pairs(second)).toEqual(['not-running train-c']);
      // SNS is not sent the restart again: only the chat channel owes it.
      expect(published().map((p) => p.types)).toEqual([['restarted'], ['not-running']]);
      expect(second.chatFailures).toHaveLength(1);

      chat.failing = false;
      const third = await h.run();
      expect(third.alerts).toEqual([]);
      expect(third.chatFailures).toEqual([]);
      expect(published()).toHaveLength(2);
      const delivered = chat.posts.filter((p) => p.ok);
      expect(delivered).toHaveLength(1);
      expect(delivered[0]?.body).toContain('train-b');
      expect(delivered[0]?.body).toContain('train-c');

      expect((await h.run()).chatFailures).toEqual([]);
      expect(chat.posts.filter((p) => p.ok)).toHaveLength(1);
      expect(published()).toHaveLength(2);
    } finally {
      await chat.close();
    }
  });
});

describe('fault matrix: the run itself', () => {
  it('run deadline reached: pods not reached are "not checked", the run still notifies and commits', async () => {
    const pods = Array.from({ length: 8 }, (_, i) => ({
      taskId: TASK,
      podName: `slow-${i}`,
      name: `slow-${i}`,
    }));
    for (const pod of pods) api.setPod(pod.taskId, pod.podName);
    const h = await harness({ config: { pods, concurrency: 1, retries: 0 } });
    await h.run();
    api.updatePod(TASK, 'slow-0', { restartCount: 4 });
    api.setLatency(400);

    const logged: { message: string; fields?: Record<string, unknown> }[] = [];
    const record = (message: string, fields?: Record<string, unknown>) => {
      logged.push({ message, ...(fields ? { fields } : {}) });
    };
    const logger: StructuredLogger = { debug: record, info: record, warn: record, error: record };
    const metricNames: string[] = [];
    const metrics: RunMetrics = {
      addMetric: (name) => void metricNames.push(name),
      publishStoredMetrics() {},
    };
    const handler = makeScheduledHandler({
      config: h.config,
      deps: h.deps(),
      logger,
      metrics,
      leaseTtlMs: h.leaseTtlMs,
    });

    const started = Date.now();
    // 21 s left: the handler keeps 20 s to wrap up, so the checks get 1 s.
    const summary = await handler(
      {},
      { awsRequestId: 'deadline-run', getRemainingTimeInMillis: () => 21_000 },
    );
    const elapsed = Date.now() - started;
    expect(summary).toMatchObject({ status: 'completed', pods: 8, alerts: 1 });
    // Generous: the budget is 1 s; what matters is that the run ends instead of hanging.
    expect(elapsed).toBeLessThan(10_000);
    const podLines = logged.filter((l) => l.message === 'pod').map((l) => l.fields ?? {});
    expect(podLines[0]).toMatchObject({ podName: 'slow-0', health: 'ok', restartCount: 4 });
    const notReached = podLines.filter((l) => l.health === 'check-failed');
    expect(notReached.length).toBeGreaterThanOrEqual(4);
    for (const line of notReached)
      expect(String(line.error)).toMatch(/run (reached its time limit|deadline)/);
    expect(published().map((p) => p.types)).toEqual([['restarted']]);
    expect(metricNames).toContain('RunsSucceeded');
    expect(await leaseItem(h.tableName)).toBeUndefined();
  });
});

describe('fault matrix: configuration', () => {
  const FULL: Record<string, unknown> = {
    $schema: './pod-watch.schema.json',
    pods: [{ taskId: TASK, podName: 'tn-exqr5k7lvj7k-master-0', name: 'master' }],
    apiBaseUrl: 'https://api.alayanew.com/api/osm',
    concurrency: 8,
    timeoutSeconds: 10,
    retries: 2,
    alerts: {
      failureThreshold: 1,
      checkFailureThreshold: 3,
      reminderMinutes: 240,
      sendRecovered: true,
      language: 'en',
      emails: ['oncall@example.com'],
      phones: ['+8613800138000'],
      smsSeverities: ['critical'],
    },
    schedule: 'cron(0/5 * * * ? *)',
    timezone: 'Asia/Shanghai',
    runIntervalMinutes: 5,
    apiKeySecret: 'alaya/pod-watch/api-key',
    lambda: { reserveConcurrency: true, memorySizeMb: 256 },
    metrics: { perPod: true },
    digest: { at: '09:00', timezone: 'Asia/Shanghai' },
    maintenanceWindows: [
      {
        name: 'weekly patching',
        timezone: 'Asia/Shanghai',
        recurring: { cron: '0 2 * * 6', durationMinutes: 120 },
        pods: [{ taskId: TASK, podName: 'tn-exqr5k7lvj7k-master-0' }],
        allowCritical: false,
      },
      { name: 'move', timezone: 'UTC', oneOff: { start: '2026-12-01T00:00', end: '2026-12-01T06:00' } },
    ],
    webhooks: [{ name: 'ops', type: 'slack', severities: ['critical', 'warning'] }],
  };

  /** Every field and sub-field of FULL, as [display path, path segments]. */
  function fieldPaths(value: unknown, path: (string | number)[] = []): [string, (string | number)[]][] {
    const here: [string, (string | number)[]][] = path.length ? [[display(path), path]] : [];
    if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => fieldPaths(v, [...path, i]))];
    if (value && typeof value === 'object')
      return [...here, ...Object.entries(value).flatMap(([k, v]) => fieldPaths(v, [...path, k]))];
    return here;
  }
  function display(path: (string | number)[]): string {
    return path.reduce<string>(
      (out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg),
      '',
    );
  }
  function replaced(path: (string | number)[], value: unknown): unknown {
    const copy = structuredClone(FULL) as Record<string | number, unknown>;
    let node = copy;
    for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
    node[path[path.length - 1] as string | number] = value;
    return copy;
  }

  it('accepts the complete reference config', () => {
    expect(() => parseConfig(FULL)).not.toThrow();
  });

  const cases = fieldPaths(FULL).flatMap(([shown, path]) =>
    [null, { bogus: true }].map((bad) => [shown, JSON.stringify(bad), path, bad] as const),
  );

  it.each(cases)(
    'a config with any field wrong: %s = %s is refused with every error naming that field',
    (shown, _label, path, bad) => {
      let error: unknown;
      try {
        parseConfig(replaced(path, bad), 'pods.json');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const { issues, message } = error as ConfigError;
      expect(message.startsWith('pods.json: ')).toBe(true);
      expect(issues.length).toBeGreaterThan(0);
      for (const issue of issues) {
        expect(issue.startsWith(shown)).toBe(true);
        expect(':.['.includes(issue.charAt(shown.length))).toBe(true);
      }
    },
  );

  it.each([[[]], ['pods'], [42], [null]])('a config that is not an object (%j) is refused', (input) => {
    expect(() => parseConfig(input)).toThrow(/^config: \(config\): expected object/);
  });

  it('the deployed function with a broken config or environment fails its cold start naming the field', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'pod-watch-matrix-'));
    try {
      const bad = join(dir, 'config.json');
      writeFileSync(bad, JSON.stringify({ pods: [{ taskId: TASK, podName: 'Train_A' }], retries: 9 }));
      const env = {
        TABLE_NAME: 'state',
        TOPIC_ARN,
        API_KEY_SECRET_ID: SECRET_ID,
        POD_WATCH_CONFIG_FILE: bad,
      };
      for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
      vi.resetModules();
      await expect(import('../../lambda/handler')).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringMatching(/pods\[0\]\.podName: expected a Kubernetes pod name.*retries: /),
      });

      vi.stubEnv('TOPIC_ARN', 'alerts');
      vi.resetModules();
      await expect(import('../../lambda/handler')).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringContaining('TOPIC_ARN: expected an SNS topic ARN'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
