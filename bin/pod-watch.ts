#!/usr/bin/env node
import { main } from '../lambda/cli/pod-watch-cli';

main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  snsNotifier: async (topicArn) => {
    // Loaded only for test-alert, so `check` never pays for the AWS SDK.
    const [{ SNSClient }, { SnsNotifier }] = await Promise.all([
      import('@aws-sdk/client-sns'),
      import('../lambda/adapters/sns-notifier'),
    ]);
    // The topic's own region, whatever the shell's default region is.
    return new SnsNotifier({ client: new SNSClient({ region: topicArn.split(':')[3] }), topicArn });
  },
  tableStore: async (tableName) => {
    const [{ DynamoDBClient }, { DynamoDbStateStore }] = await Promise.all([
      import('@aws-sdk/client-dynamodb'),
      import('../lambda/adapters/dynamodb-state-store'),
    ]);
    return new DynamoDbStateStore({ client: new DynamoDBClient({}), tableName });
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pod-watch: unexpected failure: ${String(err)}\n`);
    process.exitCode = 3;
  },
);
