/**
 * Security properties of docs/security.md:
 *
 * 1. The API key never leaks. A recognisable canary key is put in play on every path (the API
 *    echoing it back in error bodies, HTML, headers and messages; key rejection; Secrets Manager
 *    and SNS failures; the CLI as a child process; the Lambda handler at DEBUG level; the state it
 *    writes; the synthesized template) and must appear nowhere. Each test also proves that the key
 *    WAS in play: the loopback API saw it in the Authorization header.
 * 2. Hostile inputs are refused or neutralised: pod names and task ids, base URLs, huge or endless
 *    answers, header floods, redirects.
 * 3. IAM: no wildcard action or resource anywhere in the template except the listed exceptions.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { InternalErrorException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlayaHttpClient, MAX_BODY_BYTES } from '../../lambda/adapters/alaya-http-client';
import { CredentialChatChannels } from '../../lambda/adapters/chat-channel-source';
import { DynamoDbStateStore, LEASE_KEY } from '../../lambda/adapters/dynamodb-state-store';
import { SecretsManagerKeySource } from '../../lambda/adapters/secrets-manager-key-source';
import { SnsNotifier } from '../../lambda/adapters/sns-notifier';
import { ConfigError, type PodWatchConfig, parseConfig } from '../../lambda/config/config';
import { loadConfigFile } from '../../lambda/config/config-file';
import { type RunLogger, type RunResult, runCheck } from '../../lambda/core/run-check';
import type { CheckOutcome, PodRef } from '../../lambda/core/types';
import type { ScheduledHandler } from '../../lambda/scheduled-run';
import { leaseTtlSeconds } from '../../lib/lambda-timeout';
import { EMPTY_API_KEY_SECRET, RUNTIME_CONFIG_FILE_PREFIX } from '../../lib/pod-watch-stack';
import { defaultPodInfo } from '../../simulator/fake-alaya-api';
import { captureOutput } from '../support/capture-output';
import { flat, type Json, type SynthResult, synthPodWatch, testConfig } from '../support/cdk';
import { type CliRun, runCli } from '../support/cli';
import { type DynaliteHandle, startDynalite } from '../support/dynalite';
import { FakeClock } from '../support/fakes';

const CANARY = 'sk-LEAK-CANARY-7f3a9c';
/** Pieces that would betray a key cut in half by a truncation. */
const CANARY_PIECES = [CANARY, 'LEAK-CANARY', CANARY.slice(0, 10), 'CANARY-7f3a9c', 'whk-LEAK', 'SEC-LEAK'];
/** Chat webhook credentials: a URL token and a signing secret. */
const WEBHOOK_CANARY = 'whk-LEAK-CANARY-91b2e4';
const SIGNING_CANARY = 'SEC-LEAK-CANARY-55aa01';
const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const PODS = [
  { taskId: TASK, podName: 'train-a-0', name: 'train-a' },
  { taskId: TASK, podName: 'train-b-0', name: 'train-b' },
];
const SECRET_ID = 'alaya/pod-watch/api-key';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:alerts';

const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);

// ---------------------------------------------------------------------------------------------
// A loopback Alaya API that echoes whatever key it is sent back into its answers.

type EchoMode =
  | 'ok'
  | 'ok-echo-data'
  | 'auth-json'
  | 'auth-html'
  | 'error-json-500'
  | 'html-200'
  | 'body-500-cut'
  | 'malformed'
  | 'invalid-data'
  | 'not-found'
  | 'content-type'
  | 'headers-503'
  | 'retry-after-429';

const ECHO_ERROR_MODES: EchoMode[] = [
  'auth-json',
  'auth-html',
  'error-json-500',
  'html-200',
  'body-500-cut',
  'malformed',
  'invalid-data',
  'not-found',
  'content-type',
  'headers-503',
  'retry-after-429',
];

interface EchoApi {
  url: string;
  mode: EchoMode;
  /** Every Authorization header received, verbatim. */
  authorizations: string[];
  close(): Promise<void>;
}

function answer(mode: EchoMode, key: string, req: IncomingMessage, res: ServerResponse): void {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const text = (status: number, contentType: string, body: string) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  };
  switch (mode) {
    case 'ok':
      json(200, { status: 200, message: 'OK', data: defaultPodInfo() });
      return;
    case 'ok-echo-data':
      json(200, {
        status: 200,
        message: 'OK',
        data: defaultPodInfo({ status: 'CrashLoopBackOff', hostName: `gpu-${key}`, createBy: key }),
      });
      return;
    case 'auth-json':
      json(401, { status: 40401, message: `invalid api key ${key}`, data: {} });
      return;
    case 'auth-html':
      text(403, 'text/html', `<html><body>Key ${key} is not allowed</body></html>`);
      return;
    case 'error-json-500':
      json(500, {
        status: 500,
        message: `upstream failed for Authorization: Bearer ${key}`,
        data: {},
      });
      return;
    case 'html-200':
      text(200, 'text/html', `<!DOCTYPE html><html><body>token=${key}</body></html>`);
      return;
    case 'body-500-cut':
      // The 200-character message cut falls inside the key.
      json(200, { status: 500, message: `${'x'.repeat(190)}${key}`, data: {} });
      return;
    case 'malformed':
      text(200, 'application/json', `{"status":200,"message":"${key}","data":{`);
      return;
    case 'invalid-data':
      json(200, { status: 200, message: key, data: { [key]: key, status: key, restartCount: key } });
      return;
    case 'not-found':
      json(404, { status: 404, message: `no pod for ${key}`, data: {} });
      return;
    case 'content-type':
      text(200, `text/plain; token=${key}`, `hello ${key}`);
      return;
    case 'headers-503':
      text(503, 'text/plain', JSON.stringify(req.headers));
      return;
    case 'retry-after-429':
      json(429, { status: 429, message: key, data: {} }, { 'retry-after': key });
      return;
  }
}

async function startEchoApi(): Promise<EchoApi> {
  const authorizations: string[] = [];
  const state = { mode: 'ok' as EchoMode };
  const server = createServer((req, res) => {
    const authorization = req.headers.authorization ?? '';
    authorizations.push(authorization);
    answer(state.mode, authorization.replace(/^Bearer /, ''), req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get mode() {
      return state.mode;
    },
    set mode(m: EchoMode) {
      state.mode = m;
    },
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback server for one test, answering with `handler`; closed after the test. */
const servers: Server[] = [];
async function loopback(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// ---------------------------------------------------------------------------------------------
// Evidence: every text a key could leak into, checked at the end of each test.

class Evidence {
  private readonly texts: { label: string; text: string }[] = [];
  add(label: string, value: unknown): void {
    const text = typeof value === 'string' ? value : inspect(value, { depth: 10, breakLength: Infinity });
    this.texts.push({ label, text });
  }
  expectNoCanary(): void {
    expect(this.texts.length).toBeGreaterThan(0);
    const leaks = this.texts
      .filter(({ text }) => CANARY_PIECES.some((piece) => text.includes(piece)))
      .map(({ label, text }) => {
        const at = text.search(/LEAK|CANARY|sk-LEAK/);
        return `${label}: …${text.slice(Math.max(0, at - 80), at + 40)}…`;
      });
    expect(leaks).toEqual([]);
  }
}

function recordingLogger(evidence: Evidence): RunLogger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    evidence.add(`log ${level} ${message}`, JSON.stringify({ message, ...fields }));
  return { debug: line('debug'), info: line('info'), warn: line('warn') };
}

let db: DynaliteHandle;
let echo: EchoApi;

async function scanTable(tableName: string): Promise<string> {
  const { Items = [] } = await db.client.send(
    new ScanCommand({ TableName: tableName, ConsistentRead: true }),
  );
  expect(Items.length).toBeGreaterThan(0);
  return JSON.stringify(Items);
}

function publishedText(): string {
  return JSON.stringify(sns.commandCalls(PublishCommand).map((c) => c.args[0].input));
}

function expectKeyWasSent(): void {
  expect(echo.authorizations).toContain(`Bearer ${CANARY}`);
}

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db?.stop();
});

beforeEach(async () => {
  echo = await startEchoApi();
  sns.reset();
  secrets.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ apiKey: CANARY }) });
});

afterEach(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  await echo.close();
});

// ---------------------------------------------------------------------------------------------

/** runCheck with the real adapters, every output recorded as evidence. */
async function world(
  evidence: Evidence,
  overrides: { dynamoFail?: () => Error | undefined; webhook?: 'slack' | 'dingtalk' } = {},
) {
  const tableName = await db.createTable();
  const clock = new FakeClock();
  const config: PodWatchConfig = parseConfig({
    pods: PODS,
    apiBaseUrl: echo.url,
    timeoutSeconds: 2,
    retries: 1,
    alerts: { failureThreshold: 1, checkFailureThreshold: 1 },
    webhooks: overrides.webhook ? [{ name: 'ops', type: overrides.webhook }] : [],
  });
  const dynamo: DynamoDBClient = db.newClient();
  if (overrides.dynamoFail) {
    const fail = overrides.dynamoFail;
    dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        const item = (args.input as { Item?: { pk?: { S?: string } } }).Item;
        const error =
          context.commandName === 'PutItemCommand' && item?.pk?.S !== LEASE_KEY ? fail() : undefined;
        if (error) throw error;
        return next(args);
      },
      { step: 'deserialize', priority: 'high', name: 'failWrites' },
    );
  }
  const podApi = new AlayaHttpClient({
    baseUrl: config.apiBaseUrl,
    timeoutMs: config.timeoutSeconds * 1000,
    retries: config.retries,
    backoff: { baseMs: 1, capMs: 5 },
  });
  const now = () => clock.now().getTime();
  const keySource = new SecretsManagerKeySource({
    client: new SecretsManagerClient({}),
    secretId: SECRET_ID,
    clock: now,
    cacheTtlMs: 24 * 3_600_000,
  });
  const deps = {
    keySource,
    chat: new CredentialChatChannels(config.webhooks, () => keySource.getWebhooks(), `secret ${SECRET_ID}`, {
      allowHttpLoopback: true,
      timeoutMs: 2_000,
    }),
    podApi,
    stateStore: new DynamoDbStateStore({
      client: DynamoDBDocumentClient.from(dynamo),
      tableName,
      clock: now,
    }),
    notifier: new SnsNotifier({ client: new SNSClient({}), topicArn: TOPIC_ARN }),
    clock,
    logger: recordingLogger(evidence),
  };
  let n = 0;
  const run = async (label: string): Promise<RunResult | Error> => {
    try {
      const result = await runCheck(config, deps, {
        runId: `run-${++n}`,
        leaseTtlMs: leaseTtlSeconds(config) * 1000,
      });
      evidence.add(`${label}: run result`, result);
      return result;
    } catch (err) {
      evidence.add(`${label}: run error`, err);
      return err as Error;
    } finally {
      clock.advanceMinutes(5);
    }
  };
  const close = async () => {
    podApi.close();
    evidence.add('state table', await scanTable(tableName));
    evidence.add('published', publishedText());
    dynamo.destroy();
  };
  return { run, close, tableName };
}

describe('the API key never leaks: runCheck with the real adapters', () => {
  it.each(ECHO_ERROR_MODES)(
    'the API echoes the key into its answer (%s): not in results, alerts, notifications, logs, state or errors',
    async (mode) => {
      const evidence = new Evidence();
      const w = await world(evidence);
      await w.run('baseline');
      echo.mode = mode;
      const failing = await w.run(mode);
      expect(failing).toMatchObject({ status: 'completed' });
      const completed = failing as Extract<RunResult, { status: 'completed' }>;
      // The answers were judged failures, and said so in an alert (so the text paths were exercised).
      expect(completed.pods.every((p) => p.health === 'check-failed')).toBe(true);
      expect(completed.alerts.length).toBeGreaterThan(0);
      expect(completed.notification?.email).toBeDefined();
      await w.run(`${mode} again`);
      echo.mode = 'ok';
      await w.run('recovery');
      await w.close();
      expect(sns.commandCalls(PublishCommand).length).toBeGreaterThanOrEqual(2);
      expectKeyWasSent();
      evidence.expectNoCanary();
    },
  );

  it('the API echoes the key inside the data of a successful answer: not in alerts, logs or state', async () => {
    const evidence = new Evidence();
    const w = await world(evidence);
    echo.mode = 'ok-echo-data';
    const result = await w.run('echo in data');
    const completed = result as Extract<RunResult, { status: 'completed' }>;
    expect(completed.alerts.map((a) => `${a.type} ${a.pod?.name}`)).toEqual([
      'not-running train-a',
      'not-running train-b',
    ]);
    await w.close();
    expectKeyWasSent();
    evidence.expectNoCanary();
  });

  it('the key rejected, and Secrets Manager failing on the forced re-read: nothing carries the key', async () => {
    const evidence = new Evidence();
    const w = await world(evidence);
    await w.run('baseline');
    echo.mode = 'auth-json';
    secrets.on(GetSecretValueCommand).rejects(
      new SecretsManagerServiceException({
        name: 'ThrottlingException',
        message: 'Rate exceeded',
        $fault: 'client',
        $metadata: {},
      }),
    );
    const rejected = await w.run('rejected, re-read throttled');
    expect(rejected).toMatchObject({
      status: 'completed',
      alerts: [expect.objectContaining({ type: 'auth-failed' })],
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    await w.close();
    expectKeyWasSent();
    evidence.expectNoCanary();
  });

  it.each([
    ['malformed JSON holding the key', `{"apiKey": "${CANARY}"`],
    ['JSON without an apiKey string', JSON.stringify({ apiKey: 7, token: CANARY })],
    ['JSON with the key under another name', JSON.stringify({ key: CANARY })],
  ])(
    'a secret in an unknown shape (%s): the run-wide alert and its errors do not quote it',
    async (_label, secretString) => {
      const evidence = new Evidence();
      secrets.on(GetSecretValueCommand).resolves({ SecretString: secretString });
      const w = await world(evidence);
      const result = await w.run('unreadable secret');
      expect(result).toMatchObject({
        status: 'completed',
        alerts: [expect.objectContaining({ type: 'check-failed', severity: 'critical' })],
      });
      await w.close();
      // The key never reached the API here; what matters is that the secret's text went nowhere.
      expect(echo.authorizations).toEqual([]);
      expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
      evidence.expectNoCanary();
    },
  );

  it.each([
    ['slack', (base: string) => ({ url: `${base}/services/T0001/B0001/${WEBHOOK_CANARY}` })],
    [
      'dingtalk',
      (base: string) => ({
        url: `${base}/robot/send?access_token=${WEBHOOK_CANARY}`,
        secret: SIGNING_CANARY,
      }),
    ],
  ] as const)(
    'chat webhook credentials (%s) echoed back by a failing webhook: not in chat failures, logs, state or errors',
    async (type, credentials) => {
      const seen: string[] = [];
      const chatUrl = await loopback((req, res) => {
        seen.push(req.url ?? '');
        req.resume();
        req.on('end', () => {
          if (type === 'slack') {
            res.writeHead(403, { 'content-type': 'text/plain' });
            res.end(`invalid_token ${req.url} ${decodeURIComponent(req.url ?? '')}`);
          } else {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(
              JSON.stringify({
                errcode: 310000,
                errmsg: `sign not match: ${decodeURIComponent(req.url ?? '')}`,
              }),
            );
          }
        });
      });
      secrets.on(GetSecretValueCommand).resolves({
        SecretString: JSON.stringify({ apiKey: CANARY, webhooks: { ops: credentials(chatUrl) } }),
      });
      const evidence = new Evidence();
      const w = await world(evidence, { webhook: type });
      await w.run('baseline');
      echo.mode = 'auth-json';
      const failing = await w.run('chat failing');
      expect(failing).toMatchObject({
        status: 'completed',
        alerts: [expect.objectContaining({ type: 'auth-failed' })],
        chatFailures: [{ channel: 'ops', error: expect.stringContaining('[redacted]') }],
      });
      echo.mode = 'ok';
      await w.run('recovered, chat still failing');
      await w.close();
      // The credentials were in play: the webhook was called with its token.
      expect(seen.some((path) => path.includes(WEBHOOK_CANARY))).toBe(true);
      expectKeyWasSent();
      evidence.expectNoCanary();
    },
  );

  it('SNS Publish failing and the state write failing: the errors and their cause chains do not carry the key', async () => {
    const evidence = new Evidence();
    let failWrites = false;
    const w = await world(evidence, {
      dynamoFail: () =>
        failWrites
          ? Object.assign(new Error('Throughput exceeded'), { name: 'ThrottlingException' })
          : undefined,
    });
    await w.run('baseline');
    echo.mode = 'error-json-500';
    sns.on(PublishCommand).rejects(new InternalErrorException({ message: 'Internal error', $metadata: {} }));
    const notifyError = await w.run('publish fails');
    expect(notifyError).toMatchObject({ name: 'NotifyError' });
    expect((notifyError as Error).cause).toBeDefined();

    sns.on(PublishCommand).resolves({ MessageId: 'message-2' });
    failWrites = true;
    const writeError = await w.run('commit fails');
    expect(writeError).toMatchObject({ name: 'StateWriteError' });
    failWrites = false;
    await w.close();
    expectKeyWasSent();
    evidence.expectNoCanary();
  });
});

// ---------------------------------------------------------------------------------------------

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { ALAYA_API_KEY: CANARY });
}

describe('the API key never leaks: the CLI (child process)', () => {
  it('not in --json or table output, --verbose logs, stderr, or the state file, whatever the API echoes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pod-watch-security-'));
    try {
      const configPath = join(dir, 'pods.json');
      const statePath = join(dir, 'pods.state.json');
      writeFileSync(
        configPath,
        JSON.stringify({
          pods: PODS,
          apiBaseUrl: echo.url,
          timeoutSeconds: 2,
          retries: 0,
          alerts: { checkFailureThreshold: 1 },
        }),
      );
      const evidence = new Evidence();
      const steps: [EchoMode, string[], number][] = [
        ['ok', ['--json'], 0],
        ['auth-json', ['--json', '--verbose'], 3],
        ['error-json-500', ['--verbose'], 3],
        ['html-200', [], 3],
        ['malformed', ['--json'], 3],
        ['headers-503', ['--verbose'], 3],
        ['ok', ['--json', '--verbose'], 0],
      ];
      for (const [mode, flags, code] of steps) {
        echo.mode = mode;
        const r = await cli(['check', '--config', configPath, '--state', statePath, ...flags]);
        expect([mode, r.code]).toEqual([mode, code]);
        evidence.add(`cli ${mode} ${flags.join(' ')} stdout`, r.stdout);
        evidence.add(`cli ${mode} ${flags.join(' ')} stderr`, r.stderr);
        evidence.add(`state file after ${mode}`, readFileSync(statePath, 'utf8'));
      }
      // The output did carry the alerts and the verbose logs (so the paths were exercised).
      const all = JSON.stringify(evidence);
      expect(all).toContain('auth-failed');
      expect(all).toContain('[redacted]');
      expectKeyWasSent();
      evidence.expectNoCanary();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------

describe('the API key never leaks: the Lambda handler at DEBUG level', () => {
  it('not in its logs, metrics, thrown errors, published alerts or the state table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pod-watch-security-handler-'));
    const tableName = await db.createTable();
    const configFile = join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        pods: PODS,
        timeoutSeconds: 2,
        retries: 0,
        alerts: { checkFailureThreshold: 1, reminderMinutes: 0 },
      }),
    );
    const env: Record<string, string> = {
      TABLE_NAME: tableName,
      TOPIC_ARN,
      API_KEY_SECRET_ID: SECRET_ID,
      LEASE_TTL_SECONDS: '60',
      POD_WATCH_CONFIG_FILE: configFile,
      ALAYA_API_BASE_URL: echo.url,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_METRICS_NAMESPACE: 'PodWatchSecurityTest',
      POWERTOOLS_SERVICE_NAME: 'pod-watch-security-test',
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const output = captureOutput();
    const evidence = new Evidence();
    try {
      vi.resetModules();
      const handler: ScheduledHandler = (await import('../../lambda/handler')).handler;
      let n = 0;
      const invoke = async (label: string) => {
        try {
          evidence.add(
            `${label}: summary`,
            await handler({}, { awsRequestId: `req-${++n}`, getRemainingTimeInMillis: () => 60_000 }),
          );
        } catch (err) {
          evidence.add(`${label}: thrown`, err);
          return err as Error;
        }
        return undefined;
      };
      await invoke('baseline');
      for (const mode of ['auth-json', 'auth-html', 'error-json-500', 'html-200', 'headers-503'] as const) {
        echo.mode = mode;
        await invoke(mode);
      }
      // A failed Publish: the handler rethrows (the Errors alarm), and logs the error.
      sns
        .on(PublishCommand)
        .rejects(new InternalErrorException({ message: 'Internal error', $metadata: {} }));
      echo.mode = 'ok';
      const thrown = await invoke('recovery, Publish failing');
      expect(thrown).toMatchObject({ name: 'NotifyError' });
      sns.on(PublishCommand).resolves({ MessageId: 'message-3' });
      // Key rejected, and the forced re-read throttled.
      echo.mode = 'auth-json';
      secrets.on(GetSecretValueCommand).rejects(
        new SecretsManagerServiceException({
          name: 'ThrottlingException',
          message: 'Rate exceeded',
          $fault: 'client',
          $metadata: {},
        }),
      );
      await invoke('rejected, re-read throttled');
      await invoke('secret unreadable');
    } finally {
      output.restore();
      rmSync(dir, { recursive: true, force: true });
    }
    const text = output.text();
    evidence.add('stdout/stderr', text);
    evidence.add('published', publishedText());
    evidence.add('state table', await scanTable(tableName));
    // The capture saw the per-pod debug lines with the echoed errors, and the run summaries.
    expect(text).toContain('"message":"pod"');
    expect(text).toContain('[redacted]');
    expect(text).toContain('run failed');
    expect(sns.commandCalls(PublishCommand).length).toBeGreaterThanOrEqual(3);
    expectKeyWasSent();
    evidence.expectNoCanary();
  });
});

describe('the API key never leaks: the synthesized stack', () => {
  it('not in the template, the Lambda environment or the bundled config, even with the key in the deploying shell', () => {
    vi.stubEnv('ALAYA_API_KEY', CANARY);
    vi.stubEnv('ALAYA_API_BASE_URL', `https://${CANARY}.example.com`);
    expect(process.env.ALAYA_API_KEY).toBe(CANARY);
    const evidence = new Evidence();
    for (const [label, config] of [
      [
        'created secret',
        testConfig({ alerts: { emails: ['oncall@example.com'], phones: ['+8613800138000'] } }),
      ],
      ['imported secret', testConfig({ apiKeySecret: 'alaya/pod-watch/api-key' })],
    ] as const) {
      const r = synthPodWatch(config, label === 'created secret' ? 'PodWatchLeakA' : 'PodWatchLeakB');
      const template = r.template.toJSON() as {
        Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
      };
      evidence.add(`${label}: template`, JSON.stringify(template));
      const fn = Object.values(template.Resources).find((res) => res.Type === 'AWS::Lambda::Function');
      const environment = fn?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
      const variables = environment?.Variables;
      evidence.add(`${label}: Lambda environment`, JSON.stringify(variables));
      expect(Object.keys(variables ?? {}).sort()).toEqual([
        'API_KEY_SECRET_ID',
        'LEASE_TTL_SECONDS',
        'NODE_OPTIONS',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
        'TABLE_NAME',
        'TOPIC_ARN',
      ]);
      const configs = readdirSync(r.app.outdir).filter((f) => f.startsWith(RUNTIME_CONFIG_FILE_PREFIX));
      expect(configs.length).toBeGreaterThan(0);
      for (const file of configs)
        evidence.add(`${label}: ${file}`, readFileSync(join(r.app.outdir, file), 'utf8'));
      const created = Object.values(template.Resources).filter(
        (res) => res.Type === 'AWS::SecretsManager::Secret',
      );
      expect(created.map((s) => s.Properties?.SecretString)).toEqual(
        label === 'created secret' ? [EMPTY_API_KEY_SECRET] : [],
      );
    }
    evidence.expectNoCanary();
  });
});

// ---------------------------------------------------------------------------------------------

describe('hostile inputs: pod names and task ids in the config', () => {
  const hostilePodNames = [
    '..',
    '.',
    '../x',
    'x/..',
    '../../etc/passwd',
    '%2e%2e',
    '%2E%2E%2Fx',
    'a%2Fb',
    'a/b',
    'a?b',
    'a#b',
    'a\\b',
    'a;b',
    'a@b',
    'a:b',
    'ｔｒａｉｎ-0',
    'trаin-0',
    'train\u200b-0',
    'train\u00a0-0',
    'train\u2024-0',
    ' train-0',
    'train-0 ',
    'tra in-0',
    'train-0\n',
    'train-0\t',
    '\r\ntrain-0',
    'a'.repeat(254),
    'x'.repeat(1000),
    'Train-0',
    'TRAIN-0',
    'train_0',
    '-train',
    'train-',
    'train..0',
    '.train',
    'train.',
    '',
  ];

  it.each(hostilePodNames.map((name) => [JSON.stringify(name).slice(0, 40), name]))(
    'podName %s is refused with an error naming pods[0].podName',
    (_shown, podName) => {
      let error: unknown;
      try {
        parseConfig({ pods: [{ taskId: TASK, podName }] });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const { issues } = error as ConfigError;
      expect(issues.length).toBeGreaterThan(0);
      for (const issue of issues) expect(issue).toMatch(/^pods\[0\]\.podName: expected /);
    },
  );

  const hostileTaskIds = [
    '..',
    '../x',
    '%2e%2e',
    `${TASK}/../x`,
    `${TASK}?x`,
    `${TASK}#x`,
    `${TASK}%2F..`,
    `${TASK} `,
    ` ${TASK}`,
    `${TASK}\n`,
    `\n${TASK}`,
    TASK.replace('a', '\u0430'),
    TASK.replace('9', '\uff19'),
    TASK.replaceAll('-', ''),
    `${TASK}a`,
    TASK.slice(0, -1),
    'x'.repeat(254),
    '',
  ];

  it.each(hostileTaskIds.map((id) => [JSON.stringify(id).slice(0, 50), id]))(
    'taskId %s is refused with an error naming pods[0].taskId',
    (_shown, taskId) => {
      expect(() => parseConfig({ pods: [{ taskId, podName: 'train-0' }] })).toThrow(
        /^config: pods\[0\]\.taskId: expected a UUID/,
      );
    },
  );

  it('accepts an upper-case task id (UUIDs are case-insensitive) and treats it as the same pod', () => {
    expect(parseConfig({ pods: [{ taskId: TASK.toUpperCase(), podName: 'train-0' }] }).pods).toHaveLength(1);
    expect(() =>
      parseConfig({
        pods: [
          { taskId: TASK, podName: 'train-0' },
          { taskId: TASK.toUpperCase(), podName: 'train-0' },
        ],
      }),
    ).toThrow(/pods\[1\]: duplicate of pods\[0\]/);
  });
});

describe('hostile inputs: whatever reaches the URL is encoded', () => {
  // '..' and '.' alone are refused before any request: see the dot-segment test below.
  const nasty = [
    '../x',
    '..%2f',
    '%2e%2e',
    '%2E%2E%2Fx',
    'a/b',
    'a?b',
    'a#b',
    'a\\b',
    'a b',
    ' ',
    'a\r\nHost: evil.example',
    'ｔｒａｉｎ',
    'trаin',
    '\u200b',
    'x'.repeat(300),
    'a;b=c',
    'a@b:c',
    "~*'()!",
    '"<>`{}|^',
    '😀',
  ];
  const SHAPE = /^\/v1\/training\/instance\/([^/?#\\]+)\/([^/?#\\]+)\/basic$/;
  const SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})+$/;

  async function recordPaths(): Promise<{ url: string; paths: string[] }> {
    const paths: string[] = [];
    const url = await loopback((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 404, message: 'Not Found', data: {} }));
    });
    return { url, paths };
  }

  it.each(nasty.map((n) => [JSON.stringify(n).slice(0, 30), n]))(
    'the name %s stays inside one path segment, as podName and as taskId',
    async (_shown, name) => {
      const { url, paths } = await recordPaths();
      const client = new AlayaHttpClient({ baseUrl: url, timeoutMs: 5_000, retries: 0 });
      try {
        for (const pod of [
          { taskId: TASK, podName: name },
          { taskId: name, podName: 'train-0' },
        ]) {
          const before = paths.length;
          const outcome = await client.getPodBasic(pod, CANARY);
          expect(outcome.ok).toBe(false);
          expect(paths.length).toBe(before + 1);
          const raw = paths[before] as string;
          const m = SHAPE.exec(raw);
          expect(m, raw).not.toBeNull();
          const [, task, podName] = m as RegExpExecArray;
          expect(SEGMENT.test(task as string) && SEGMENT.test(podName as string), raw).toBe(true);
          expect([decodeURIComponent(task as string), decodeURIComponent(podName as string)]).toEqual([
            pod.taskId,
            pod.podName,
          ]);
        }
      } finally {
        client.close();
      }
    },
  );

  it.each([
    ['..', '..'],
    ['.', '.'],
    ['(empty)', ''],
  ])(
    'a %s segment cannot be collapsed by a gateway that resolves dot segments and merges slashes',
    async (_shown, name) => {
      const { url, paths } = await recordPaths();
      const client = new AlayaHttpClient({ baseUrl: url, timeoutMs: 5_000, retries: 0 });
      try {
        const outcomes: CheckOutcome[] = [];
        for (const pod of [
          { taskId: TASK, podName: name },
          { taskId: name, podName: 'train-0' },
        ] satisfies PodRef[]) {
          outcomes.push(await client.getPodBasic(pod, CANARY));
        }
        expect(outcomes.every((o) => !o.ok)).toBe(true);
        // Either nothing is sent, or what is sent still names one task and one pod after the
        // normalisation nginx and WHATWG URL parsers apply (`%2E%2E` IS a dot segment to them).
        for (const raw of paths) {
          const normalised = new URL(raw.replace(/\/{2,}/g, '/'), 'http://gateway.example').pathname;
          expect(normalised).toMatch(SHAPE);
        }
      } finally {
        client.close();
      }
    },
  );

  it('never follows a redirect, so the key is never sent to another host', async () => {
    const elsewhere: string[] = [];
    const other = await loopback((req, res) => {
      elsewhere.push(req.headers.authorization ?? '');
      res.end('{}');
    });
    const url = await loopback((_req, res) => {
      res.writeHead(302, { location: `${other}/v1/training/instance/${TASK}/train-0/basic` });
      res.end();
    });
    const client = new AlayaHttpClient({ baseUrl: url, timeoutMs: 5_000, retries: 2, sleep: async () => {} });
    try {
      const outcome = await client.getPodBasic({ taskId: TASK, podName: 'train-0' }, CANARY);
      expect(outcome).toMatchObject({ ok: false, error: { httpStatus: 302 } });
      expect(elsewhere).toEqual([]);
    } finally {
      client.close();
    }
  });
});

describe('hostile inputs: non-https base URLs', () => {
  const refused = [
    'http://127.0.0.1.evil.com',
    'http://localhost@evil.com',
    'http://[::1].evil',
    'HTTP://EXAMPLE.COM',
    'http://api.alayanew.com',
    'http://evil.com\\@127.0.0.1',
    'http://evil.com#@127.0.0.1',
    'http://localhost.evil.com',
    'http://127.0.0.1:80@evil.com',
    'http://evil.com/127.0.0.1',
    'http://%6c%6f%63%61%6c%68%6f%73%74.evil.com',
    'http://localhost.',
    'http://[::ffff:127.0.0.1]',
    'ftp://127.0.0.1',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'ws://localhost',
    '//evil.com',
    'api.alayanew.com',
    'https://user:secret@api.alayanew.com',
    'https://api.alayanew.com/?key=x',
  ];

  it.each(refused)('%s is refused in the config, naming apiBaseUrl', (apiBaseUrl) => {
    expect(() => parseConfig({ pods: [{ taskId: TASK, podName: 'train-0' }], apiBaseUrl })).toThrow(
      /^config: apiBaseUrl: (expected an https:\/\/ URL|expected an absolute URL|must not contain)/,
    );
  });

  it.each(refused)('%s is refused from ALAYA_API_BASE_URL too (CLI and handler)', (apiBaseUrl) => {
    const dir = mkdtempSync(join(tmpdir(), 'pod-watch-baseurl-'));
    try {
      const file = join(dir, 'pods.json');
      writeFileSync(file, JSON.stringify({ pods: [{ taskId: TASK, podName: 'train-0' }] }));
      expect(() => loadConfigFile(file, { ALAYA_API_BASE_URL: apiBaseUrl })).toThrow(
        /apiBaseUrl \(from ALAYA_API_BASE_URL\): (expected an https|expected an absolute URL|must not contain)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost/api/osm/', 'http://localhost/api/osm'],
    ['http://[::1]:9000', 'http://[::1]:9000'],
    ['HTTPS://API.ALAYANEW.COM/api/osm', 'https://api.alayanew.com/api/osm'],
  ])('accepts %s (loopback http, or https anywhere)', (apiBaseUrl, normalised) => {
    expect(parseConfig({ pods: [{ taskId: TASK, podName: 'train-0' }], apiBaseUrl }).apiBaseUrl).toBe(
      normalised,
    );
  });
});

describe('hostile inputs: the size of what the API sends is capped', () => {
  it('an endless body is cut at 1 MiB, not retried, and the server is disconnected', async () => {
    let written = 0;
    let closed = false;
    const url = await loopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        if (res.destroyed || closed) return;
        written += chunk.length;
        if (res.write(chunk)) setImmediate(pump);
        else res.once('drain', pump);
      };
      res.on('close', () => {
        closed = true;
      });
      pump();
    });
    const client = new AlayaHttpClient({
      baseUrl: url,
      timeoutMs: 20_000,
      retries: 3,
      sleep: async () => {},
    });
    try {
      const outcome = await client.getPodBasic({ taskId: TASK, podName: 'train-0' }, CANARY);
      expect(outcome).toMatchObject({ ok: false, error: { kind: 'too-large', attempts: 1 } });
      await vi.waitFor(() => expect(closed).toBe(true));
      // Read no further than the cap; what the kernel buffered beyond it is bounded (generous).
      expect(written).toBeGreaterThan(MAX_BODY_BYTES);
      expect(written).toBeLessThan(32 * MAX_BODY_BYTES);
    } finally {
      client.close();
    }
  });

  it('a declared Content-Length over 1 MiB is refused before reading the body', async () => {
    const url = await loopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(5 * 1024 ** 3) });
      res.write('{"status":200');
    });
    const client = new AlayaHttpClient({ baseUrl: url, timeoutMs: 5_000, retries: 0 });
    try {
      const outcome = await client.getPodBasic({ taskId: TASK, podName: 'train-0' }, CANARY);
      expect(outcome).toMatchObject({
        ok: false,
        error: { kind: 'too-large', message: expect.stringContaining('Content-Length 5368709120') },
      });
    } finally {
      client.close();
    }
  });

  it('a header flood is a failed check, not a crash', async () => {
    const url = await loopback((_req, res) => {
      res.writeHead(200, { 'x-flood': 'a'.repeat(200_000), 'content-type': 'application/json' });
      res.end('{}');
    });
    const client = new AlayaHttpClient({ baseUrl: url, timeoutMs: 5_000, retries: 1, sleep: async () => {} });
    try {
      const outcome = await client.getPodBasic({ taskId: TASK, podName: 'train-0' }, CANARY);
      expect(outcome).toMatchObject({
        ok: false,
        error: { kind: 'network', message: expect.stringMatching(/HPE_HEADER_OVERFLOW/) },
      });
    } finally {
      client.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

const list = (x: unknown): unknown[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

interface Statement {
  where: string;
  effect: string;
  principal: unknown;
  condition: unknown;
  actions: string[];
  notActions: string[];
  resources: string[];
  notResources: string[];
}

/** Every statement of every policy document anywhere in the template (roles, policies, topic and queue policies). */
function allStatements(template: {
  Resources: Record<string, { Type: string; Properties?: Json }>;
}): Statement[] {
  const out: Statement[] = [];
  const visit = (node: unknown, where: string) => {
    if (Array.isArray(node)) {
      for (const [i, n] of node.entries()) visit(n, `${where}[${i}]`);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const obj = node as Json;
    if ('Statement' in obj) {
      for (const s of list(obj.Statement) as Json[]) {
        out.push({
          where,
          effect: String(s.Effect),
          principal: s.Principal,
          condition: s.Condition,
          actions: list(s.Action).map(flat),
          notActions: list(s.NotAction).map(flat),
          resources: list(s.Resource).map(flat),
          notResources: list(s.NotResource).map(flat),
        });
      }
    }
    for (const [k, v] of Object.entries(obj)) if (k !== 'Statement') visit(v, `${where}.${k}`);
  };
  for (const [id, res] of Object.entries(template.Resources)) visit(res.Properties, `${id} (${res.Type})`);
  return out;
}

const isWildcard = (s: string) => s.includes('*') || s.includes('?');

/**
 * The only wildcards allowed, each with why AWS requires it. A wildcard that matches none of these
 * fails the test, and so does an exception nothing uses any more.
 */
const ALLOWED_WILDCARDS: {
  name: string;
  reason: string;
  allows(s: Statement, part: 'action' | 'resource', value: string): boolean;
}[] = [
  {
    name: 'log-stream ARN suffix',
    reason:
      "Lambda names its log streams at run time (date, version, instance): ':log-stream:*', confined to the function's own log group",
    allows: (s, part, value) =>
      part === 'resource' &&
      s.effect === 'Allow' &&
      /^arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<HandlerLogs[0-9A-F]+>:log-stream:\*$/.test(
        value,
      ) &&
      [...s.actions].sort().join(',') === 'logs:CreateLogStream,logs:PutLogEvents',
  },
  {
    name: 'Secrets Manager random suffix',
    reason:
      'an imported secret ARN ends in "-" and 6 random characters unknown at synth; "-??????" matches exactly those, no other secret name',
    allows: (s, part, value) =>
      part === 'resource' &&
      s.effect === 'Allow' &&
      /:secretsmanager:[^*?]+:secret:[^*?]+-\?\?\?\?\?\?$/.test(value) &&
      s.actions.join(',') === 'secretsmanager:GetSecretValue',
  },
  {
    name: 'TLS-only deny on the dead-letter queue',
    reason:
      "CDK's enforceSSL: a Deny of sqs:* when aws:SecureTransport is false. A wildcard in a Deny widens the refusal, never the access",
    allows: (s, part, value) =>
      part === 'action' &&
      s.effect === 'Deny' &&
      value === 'sqs:*' &&
      JSON.stringify(s.condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
  },
];

describe('IAM: no wildcard action or resource, except the listed ones', () => {
  const variants: [string, () => SynthResult][] = [
    [
      'created secret, email and SMS',
      () =>
        synthPodWatch(
          testConfig({ alerts: { emails: ['oncall@example.com'], phones: ['+8613800138000'] } }),
          'IamCreated',
        ),
    ],
    [
      'secret by name, no reserved concurrency, cron',
      () =>
        synthPodWatch(
          testConfig({
            apiKeySecret: 'alaya/pod-watch/api-key',
            schedule: 'cron(0/10 8-20 ? * MON-FRI *)',
            timezone: 'Asia/Shanghai',
            runIntervalMinutes: 3_550,
            lambda: { reserveConcurrency: false, memorySizeMb: 512 },
          }),
          'IamByName',
        ),
    ],
    [
      'secret by partial ARN',
      () =>
        synthPodWatch(
          testConfig({ apiKeySecret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:alaya/api-key' }),
          'IamPartialArn',
        ),
    ],
    [
      'secret by complete ARN',
      () =>
        synthPodWatch(
          testConfig({
            apiKeySecret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:alaya/api-key-AbC123',
          }),
          'IamCompleteArn',
        ),
    ],
  ];

  it('every policy statement in every variant of the stack', () => {
    const used = new Set<string>();
    const violations: string[] = [];
    let statements = 0;
    for (const [label, synth] of variants) {
      const template = synth().template.toJSON() as {
        Resources: Record<string, { Type: string; Properties?: Json }>;
      };
      const found = allStatements(template);
      statements += found.length;
      // Role, policy, topic-policy and queue-policy documents were all seen.
      for (const type of [
        'AWS::IAM::Role',
        'AWS::IAM::Policy',
        'AWS::SNS::TopicPolicy',
        'AWS::SQS::QueuePolicy',
      ])
        expect(
          found.some((s) => s.where.includes(`(${type})`)),
          `${label}: ${type}`,
        ).toBe(true);
      for (const s of found) {
        const at = `${label}: ${s.where}`;
        if (s.notActions.length || s.notResources.length) violations.push(`${at}: NotAction/NotResource`);
        const publicPrincipal = JSON.stringify(s.principal ?? null).match(/"\*"/);
        if (publicPrincipal && s.effect === 'Allow') violations.push(`${at}: Allow to principal *`);
        const parts = [
          ...s.actions.map((value) => ['action', value] as const),
          ...s.resources.map((value) => ['resource', value] as const),
        ];
        for (const [part, value] of parts) {
          if (!isWildcard(value)) continue;
          const exception = ALLOWED_WILDCARDS.find((e) => e.allows(s, part, value));
          if (exception) used.add(exception.name);
          else violations.push(`${at}: wildcard ${part} ${value}`);
        }
      }
    }
    expect(statements).toBeGreaterThan(20);
    expect(violations).toEqual([]);
    // Each exception is still needed: drop it from the list when the stack stops needing it.
    expect([...used].sort()).toEqual(ALLOWED_WILDCARDS.map((e) => e.name).sort());
    for (const e of ALLOWED_WILDCARDS) expect(e.reason.length).toBeGreaterThan(40);
  });

  it('catches a new wildcard (the check itself can fail)', () => {
    const template = {
      Resources: {
        Extra: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyDocument: {
              Statement: [
                { Effect: 'Allow', Action: 'dynamodb:*', Resource: 'arn:aws:dynamodb:us-east-1:1:table/x' },
                { Effect: 'Allow', Action: 's3:GetObject', Resource: '*' },
                { Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: 'arn:aws:logs:*:*:*' },
              ],
            },
          },
        },
      },
    };
    const flagged = allStatements(template).flatMap((s) =>
      [...s.actions, ...s.resources].filter(
        (v) =>
          isWildcard(v) &&
          !ALLOWED_WILDCARDS.some((e) => e.allows(s, s.actions.includes(v) ? 'action' : 'resource', v)),
      ),
    );
    expect(flagged).toEqual(['dynamodb:*', '*', 'arn:aws:logs:*:*:*']);
  });
});
