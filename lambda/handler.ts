/**
 * The Lambda entry point: wires AWS adapters once per container (module scope, reused by warm
 * invocations) and hands each scheduled event to the shared core.
 */
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AlayaHttpClient } from './adapters/alaya-http-client';
import { CredentialChatChannels } from './adapters/chat-channel-source';
import { DynamoDbStateStore } from './adapters/dynamodb-state-store';
import { SecretsManagerKeySource } from './adapters/secrets-manager-key-source';
import { SnsNotifier } from './adapters/sns-notifier';
import { systemClock } from './adapters/system-clock';
import { loadConfigFile } from './config/config-file';
import { readHandlerEnvironment } from './handler-environment';
import { makeScheduledHandler } from './scheduled-run';

const env = readHandlerEnvironment(process.env);
// The stack bundles the validated config as config.json beside this file (too large for env vars).
const config = loadConfigFile(env.configFile ?? join(__dirname, 'config.json'), process.env);

// Powertools takes fields as an optional extra argument; the core's logger port always passes one.
const powertools = new Logger();
const logger = {
  debug: (message: string, fields: Record<string, unknown> = {}) => powertools.debug(message, fields),
  info: (message: string, fields: Record<string, unknown> = {}) => powertools.info(message, fields),
  warn: (message: string, fields: Record<string, unknown> = {}) => powertools.warn(message, fields),
  error: (message: string, fields: Record<string, unknown> = {}) => powertools.error(message, fields),
  appendKeys: (keys: Record<string, unknown>) => powertools.appendKeys(keys),
};
const powertoolsMetrics = new Metrics();
const metrics = {
  addMetric: (name: string, unit: 'Count' | 'Milliseconds', value: number) =>
    powertoolsMetrics.addMetric(name, unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds, value),
  publishStoredMetrics: () => powertoolsMetrics.publishStoredMetrics(),
  // Each pod is its own EMF record: per-pod dimensions must not leak into the run-level metrics.
  addDimensionedMetrics: (dimensions: Record<string, string>, values: Record<string, number>) => {
    // A single metric is flushed (and its dimensions dropped) by its addMetric: one per value.
    for (const [name, value] of Object.entries(values)) {
      const single = powertoolsMetrics.singleMetric();
      single.addDimensions(dimensions);
      single.addMetric(name, MetricUnit.Count, value);
    }
  },
};
const keySource = new SecretsManagerKeySource({
  client: new SecretsManagerClient({}),
  secretId: env.secretId,
});

export const handler = makeScheduledHandler({
  config,
  leaseTtlMs: env.leaseTtlSeconds * 1000,
  logger,
  metrics,
  deps: {
    keySource,
    podApi: new AlayaHttpClient({
      baseUrl: config.apiBaseUrl,
      timeoutMs: config.timeoutSeconds * 1000,
      retries: config.retries,
      maxSockets: config.concurrency,
    }),
    stateStore: new DynamoDbStateStore({
      client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
      tableName: env.tableName,
    }),
    notifier: new SnsNotifier({ client: new SNSClient({}), topicArn: env.topicArn }),
    clock: systemClock,
    logger,
    chat: new CredentialChatChannels(
      config.webhooks,
      () => keySource.getWebhooks(),
      `secret ${env.secretId}`,
    ),
  },
});
