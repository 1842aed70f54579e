/**
 * The real Lambda entry point (lambda/handler.ts), loaded the way Lambda loads it: environment set
 * first, then the module imported once per "container" so its module-scope wiring runs for real.
 * DynamoDB is dynalite (reached through AWS_ENDPOINT_URL_DYNAMODB, as the handler uses default
 * client config), the Alaya API is the loopback fake, SNS and Secrets Manager are mocked at the
 * class level so the module-scope clients are covered.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunSummary, ScheduledHandler } from '../../lambda/scheduled-run';
import { type FakeAlayaApi, startFakeAlayaApi } from '../../simulator/fake-alaya-api';
import { captureOutput } from '../support/capture-output';
import { type DynaliteHandle, startDynalite } from '../support/dynalite';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:alerts';
const SECRET_ID = 'alaya/pod-watch/api-key';
const NAMESPACE = 'AlayaPodWatchHandlerTest';
const SERVICE = 'pod-watch-handler-test';

const PODS = [
  { taskId: 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a', podName: 'train-a-0', name: 'train-a' },
  { taskId: 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a', podName: 'train-a-1', name: 'train-a1' },
  { taskId: '0f6e1a52-3c4d-4b8e-9a7f-1d2c3b4a5e6f', podName: 'train-b-0', name: 'train-b' },
] as const;
const [POD_A, POD_B] = [PODS[0], PODS[2]];

const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);

let dynalite: DynaliteHandle;
let workDir: string;
let configFile: string;
let api: FakeAlayaApi;
let tableName: string;
/** Everything the handler writes during a test (EMF metrics and logs): kept out of the test report. */
let output: { text(): string; restore(): void };

function secretJson(key: string): { SecretString: string } {
  return { SecretString: JSON.stringify({ apiKey: key }) };
}

function context(awsRequestId: string) {
  return { awsRequestId, getRemainingTimeInMillis: () => 60_000 };
}

/** Sets the environment, then imports a fresh copy of the handler module: one cold start. */
async function coldStart(overrides: Record<string, string> = {}): Promise<ScheduledHandler> {
  const env: Record<string, string> = {
    TABLE_NAME: tableName,
    TOPIC_ARN,
    API_KEY_SECRET_ID: SECRET_ID,
    LEASE_TTL_SECONDS: '60',
    POD_WATCH_CONFIG_FILE: configFile,
    ALAYA_API_BASE_URL: api.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
    POWERTOOLS_SERVICE_NAME: SERVICE,
    ...overrides,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.resetModules();
  const mod = await import('../../lambda/handler');
  return mod.handler;
}

function publishes(): PublishCommandInput[] {
  return sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

function message(input: PublishCommandInput | undefined): { default: string; email: string; sms: string } {
  expect(input?.MessageStructure).toBe('json');
  return JSON.parse(input?.Message ?? 'null');
}

function attributes(input: PublishCommandInput | undefined): { severity?: string; types: string[] } {
  const attrs = input?.MessageAttributes ?? {};
  return {
    severity: attrs.severity?.StringValue,
    types: JSON.parse(attrs.type?.StringValue ?? '[]') as string[],
  };
}

/** The JSON objects among the captured lines (Powertools writes one JSON document per line). */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

beforeAll(async () => {
  dynalite = await startDynalite();
  workDir = mkdtempSync(join(tmpdir(), 'pod-watch-handler-'));
  configFile = join(workDir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      pods: PODS,
      // Replaced by ALAYA_API_BASE_URL, as in the deployed function's tests.
      apiBaseUrl: 'https://api.alayanew.com',
      concurrency: 4,
      timeoutSeconds: 5,
      retries: 0,
      alerts: { failureThreshold: 1, checkFailureThreshold: 3, reminderMinutes: 240, sendRecovered: true },
    }),
  );
});

afterAll(async () => {
  await dynalite?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

beforeEach(async () => {
  tableName = await dynalite.createTable();
  api = await startFakeAlayaApi({ validKeys: ['key-1'] });
  for (const pod of PODS) api.setPod(pod.taskId, pod.podName, { restartCount: 2 });
  sns.reset();
  secrets.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  secrets.on(GetSecretValueCommand).resolves(secretJson('key-1'));
  output = captureOutput();
});

afterEach(async () => {
  output.restore();
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await api.close();
});

describe('lambda/handler.ts over several scheduled runs', () => {
  it('stays silent on the first and steady runs and publishes one grouped alert per change', async () => {
    const handler = await coldStart();
    let n = 0;
    const run = () => handler({}, context(`run-${++n}`));

    expect(await run()).toMatchObject({ status: 'completed', pods: 3, alerts: 0 });
    expect(publishes()).toHaveLength(0);
    expect(await run()).toMatchObject({ status: 'completed', pods: 3, alerts: 0 });
    expect(publishes()).toHaveLength(0);

    // A restart: one warning.
    api.updatePod(POD_A.taskId, POD_A.podName, { restartCount: 3 });
    expect(await run()).toMatchObject({ status: 'completed', alerts: 1 });
    expect(publishes()).toHaveLength(1);
    const restart = publishes()[0];
    expect(restart?.TopicArn).toBe(TOPIC_ARN);
    const restartBody = message(restart);
    expect(Object.keys(restartBody).sort()).toEqual(['default', 'email', 'sms']);
    for (const text of Object.values(restartBody)) expect(text).toEqual(expect.any(String));
    expect(restartBody.email).toContain('train-a');
    expect(attributes(restart)).toEqual({ severity: 'warning', types: ['restarted'] });

    expect(await run()).toMatchObject({ status: 'completed', alerts: 0 });
    expect(publishes()).toHaveLength(1);

    // Pending: a warning, said once.
    api.updatePod(POD_B.taskId, POD_B.podName, { status: 'Pending' });
    expect(await run()).toMatchObject({ status: 'completed', alerts: 1 });
    expect(publishes()).toHaveLength(2);
    const pending = publishes()[1];
    expect(attributes(pending)).toEqual({ severity: 'warning', types: ['not-running'] });
    expect(message(pending).email).toContain('Pending');
    expect(message(pending).email).toContain('train-b');

    expect(await run()).toMatchObject({ status: 'completed', alerts: 0 });
    expect(publishes()).toHaveLength(2);

    // Recovery: info.
    api.updatePod(POD_B.taskId, POD_B.podName, { status: 'Running' });
    expect(await run()).toMatchObject({ status: 'completed', alerts: 1 });
    expect(publishes()).toHaveLength(3);
    expect(attributes(publishes()[2])).toEqual({ severity: 'info', types: ['recovered'] });

    for (let i = 0; i < 2; i++) expect(await run()).toMatchObject({ status: 'completed', alerts: 0 });
    expect(publishes()).toHaveLength(3);
    // Warm invocations reuse the cached key: one GetSecretValue for the whole container.
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('throws when Publish fails, then sends the same alert on the next run, and only once', async () => {
    const handler = await coldStart();
    await handler({}, context('baseline'));
    expect(publishes()).toHaveLength(0);

    api.updatePod(POD_A.taskId, POD_A.podName, { restartCount: 5 });
    sns
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error('Internal error'), { name: 'InternalErrorException' }));
    // Another module instance defines the error class: match on the name, not on instanceof.
    await expect(handler({}, context('failed-publish'))).rejects.toMatchObject({
      name: 'NotifyError',
      message: expect.stringContaining('InternalErrorException'),
    });
    expect(publishes()).toHaveLength(1);

    expect(await handler({}, context('retry'))).toMatchObject({ status: 'completed', alerts: 1 });
    expect(publishes()).toHaveLength(2);
    const [failed, resent] = publishes();
    // The same alert; only the check time in the email differs.
    const withoutCheckTime = (input: PublishCommandInput | undefined) => {
      const body = message(input);
      return { ...body, email: body.email.replace(/^Checked at: .*$/m, '') };
    };
    expect(withoutCheckTime(resent)).toEqual(withoutCheckTime(failed));
    expect(message(resent).email).toContain('train-a restarted: restarts 2 → 5');
    expect(attributes(resent)).toEqual({ severity: 'warning', types: ['restarted'] });

    expect(await handler({}, context('after'))).toMatchObject({ status: 'completed', alerts: 0 });
    expect(publishes()).toHaveLength(2);
  });

  it('heals a rotated key by re-reading the secret once, without an alert', async () => {
    api.setValidKeys(['key-2']);
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolvesOnce(secretJson('key-1')).resolves(secretJson('key-2'));
    const handler = await coldStart();

    expect(await handler({}, context('rotated'))).toMatchObject({ status: 'completed', pods: 3, alerts: 0 });
    expect(publishes()).toHaveLength(0);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET_ID });
    const requests = api.requests;
    expect(requests.filter((r) => !r.authorized)).toHaveLength(3);
    expect(requests.filter((r) => r.authorized)).toHaveLength(3);

    // The fresh key is now cached: the next run neither re-reads the secret nor gets rejected.
    api.resetStats();
    expect(await handler({}, context('next'))).toMatchObject({ status: 'completed', pods: 3, alerts: 0 });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(api.requests.every((r) => r.authorized)).toBe(true);
    expect(publishes()).toHaveLength(0);
  });

  it('raises one critical auth-failed alert for all pods when the key is rejected', async () => {
    api.setValidKeys(['the-right-key']);
    const handler = await coldStart();

    expect(await handler({}, context('rejected'))).toMatchObject({ status: 'completed', pods: 3, alerts: 1 });
    expect(publishes()).toHaveLength(1);
    const input = publishes()[0];
    expect(attributes(input)).toEqual({ severity: 'critical', types: ['auth-failed'] });
    expect(message(input).email).toMatch(/Pods affected\W+3/);
    // The rejection made it re-read the secret once (it held the same key, so no second pass).
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(api.requests).toHaveLength(3);

    expect(await handler({}, context('still-rejected'))).toMatchObject({ status: 'completed', alerts: 0 });
    expect(publishes()).toHaveLength(1);
  });

  it('throws a StateReadError and publishes nothing when the state table cannot be read', async () => {
    const handler = await coldStart({ TABLE_NAME: 'no-such-table' });
    await expect(handler({}, context('no-table'))).rejects.toMatchObject({
      name: 'StateReadError',
      message: expect.stringContaining('no-such-table'),
    });
    expect(publishes()).toHaveLength(0);
    expect(api.requests).toHaveLength(0);
  });

  it('lets exactly one of two overlapping runs work, so a change is published once', async () => {
    // Two containers, as Lambda would run two overlapping invocations.
    const first = await coldStart();
    const second = await coldStart();
    expect(second).not.toBe(first);
    await first({}, context('baseline'));
    expect(publishes()).toHaveLength(0);

    api.updatePod(POD_B.taskId, POD_B.podName, { restartCount: 7 });
    api.setLatency(300);
    api.resetStats();
    const results: RunSummary[] = await Promise.all([
      first({}, context('overlap-1')),
      second({}, context('overlap-2')),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['completed', 'skipped']);
    expect(results.find((r) => r.status === 'completed')).toMatchObject({ pods: 3, alerts: 1 });
    expect(api.requests).toHaveLength(3);
    expect(publishes()).toHaveLength(1);
    expect(attributes(publishes()[0])).toEqual({ severity: 'warning', types: ['restarted'] });
    const skipped = jsonLines(output.text()).filter((doc) => doc.RunsSkipped !== undefined);
    expect(skipped.map((doc) => doc.RunsSkipped)).toEqual([1]);

    // The lease was released and the change committed: the next run (either container) is quiet.
    api.setLatency(0);
    expect(await second({}, context('after'))).toMatchObject({ status: 'completed', alerts: 0 });
    expect(publishes()).toHaveLength(1);
  });

  it('writes a RunsSucceeded EMF metric in the configured namespace after a good run', async () => {
    const handler = await coldStart();
    const summary = await handler({}, context('metrics'));
    expect(summary).toMatchObject({ status: 'completed', pods: 3 });
    const emf = jsonLines(output.text()).filter((doc) => doc._aws !== undefined);
    expect(emf).toHaveLength(1);
    const doc = emf[0] as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
      };
    };
    const directive = doc._aws.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe(NAMESPACE);
    expect(directive?.Metrics).toContainEqual(
      expect.objectContaining({ Name: 'RunsSucceeded', Unit: 'Count' }),
    );
    expect(directive?.Dimensions).toContainEqual(['service']);
    expect(doc.RunsSucceeded).toBe(1);
    expect(doc.PodsChecked).toBe(3);
    // The heartbeat alarm's dimension is the service name from the environment.
    expect(doc.service).toBe(SERVICE);
    expect(doc.RunsFailed).toBeUndefined();
  });

  it('never logs the API key, even at debug level and when the API echoes it back', async () => {
    const key = 'sk-LEAKCHECK-0123456789abcdef';
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves(secretJson(key));
    api.setValidKeys(['another-key']);
    // A gateway that quotes the rejected key in its error message.
    api.setGlobalFault({
      kind: 'http-status',
      status: 401,
      body: { status: 40401, message: `invalid api key ${key}` },
    });
    const handler = await coldStart({ POWERTOOLS_LOG_LEVEL: 'DEBUG' });

    const summary = await handler({}, context('leak-check'));
    // A second run too: the "still rejected" path logs differently.
    await handler({}, context('leak-check-2'));
    expect(summary).toMatchObject({ status: 'completed', pods: 3, alerts: 1 });
    const text = output.text();
    const logs = jsonLines(text);
    // The capture did see the handler's logs, including the per-pod debug lines with the errors.
    expect(logs.some((l) => l.message === 'run completed')).toBe(true);
    const podLines = logs.filter((l) => l.message === 'pod');
    expect(podLines).toHaveLength(6);
    expect(podLines.every((l) => typeof l.error === 'string' && l.error.includes('rejected'))).toBe(true);
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.slice(0, 16));
    // Nor does the alert that goes to email and SMS.
    expect(publishes()).toHaveLength(1);
    expect(JSON.stringify(publishes())).not.toContain(key);
  });
});
