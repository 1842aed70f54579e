import { DynamoDBDocumentClient, ScanCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbStateStore } from './lambda/adapters/dynamodb-state-store';
import { parseConfig } from './lambda/config/config';
import { runCheck } from './lambda/core/run-check';
import { startDynalite } from './test/support/dynalite';
import { FakeClock, FakeKeySource, FakePodApi, RecordingNotifier, TASK, podInfo } from './test/support/fakes';
(async () => {
  const d = await startDynalite();
  const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
  const store = new DynamoDbStateStore({ client: d.client, tableName: d.tableName, clock: () => clock.now().getTime() });
  const config = parseConfig({ pods: [{ taskId: TASK, podName: 'p-0' }] });
  const api = new FakePodApi().set('p-0', podInfo({ status: 'Succeeded' }));
  const notifier = new RecordingNotifier();
  const deps = { keySource: new FakeKeySource(), podApi: api, stateStore: store, notifier, clock };
  const doc = DynamoDBDocumentClient.from(d.client);
  let i = 0;
  const run = async () => { const r = await runCheck(config, deps, { runId: `r${i++}`, leaseTtlMs: 1 }); return r.status === 'completed' ? r.alerts.map((a) => a.type) : []; };
  console.log('day 0 Succeeded ->', await run());
  api.pods.delete('p-0'); // provider cleans the finished pod up: 404 from now on
  for (let day = 1; day <= 32; day++) { clock.advanceMinutes(1440); await run(); }
  // emulate DynamoDB TTL deletion of expired items
  const items = (await doc.send(new ScanCommand({ TableName: d.tableName }))).Items ?? [];
  for (const it of items) if (typeof it.expiresAt === 'number' && it.expiresAt * 1000 < clock.now().getTime()) { console.log('TTL deletes', it.pk); await doc.send(new DeleteCommand({ TableName: d.tableName, Key: { pk: it.pk } })); }
  for (let k = 0; k < 3; k++) { clock.advanceMinutes(5); console.log(clock.now().toISOString(), '404 ->', await run()); }
  console.log('last subject:', notifier.sent.at(-1)?.subject);
  await d.stop();
})();
