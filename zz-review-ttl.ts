import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbStateStore } from './lambda/adapters/dynamodb-state-store';
import { parseConfig } from './lambda/config/config';
import { runCheck } from './lambda/core/run-check';
import { startDynalite } from './test/support/dynalite';
import { FakeClock, FakeKeySource, FakePodApi, podInfo, RecordingNotifier, TASK } from './test/support/fakes';

async function main() {
  const d = await startDynalite();
  const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
  const store = new DynamoDbStateStore({
    client: d.client,
    tableName: d.tableName,
    clock: () => clock.now().getTime(),
  });
  const config = parseConfig({ pods: [{ taskId: TASK, podName: 'p-0' }] });
  const api = new FakePodApi().set('p-0', podInfo());
  const notifier = new RecordingNotifier();
  const deps = { keySource: new FakeKeySource(), podApi: api, stateStore: store, notifier, clock };
  const doc = DynamoDBDocumentClient.from(d.client);
  const raw = async (pk: string) =>
    (await doc.send(new GetCommand({ TableName: d.tableName, Key: { pk } }))).Item;
  await runCheck(config, deps, { runId: 'r0', leaseTtlMs: 60_000 });
  console.log(
    'day 0  pod item expiresAt',
    new Date((raw(`${TASK}/p-0`) as any) && (await raw(`${TASK}/p-0`))!.expiresAt * 1000).toISOString(),
  );
  for (let day = 1; day <= 29; day++) {
    clock.advanceMinutes(24 * 60);
    await runCheck(config, deps, { runId: `r${day}`, leaseTtlMs: 60_000 });
  }
  const item = await raw(`${TASK}/p-0`);
  const run = await raw('#run');
  console.log(
    'day 29 now',
    clock.now().toISOString(),
    'pod expiresAt',
    new Date(item!.expiresAt * 1000).toISOString(),
    'version',
    item!.version,
  );
  console.log(
    '       #run expiresAt',
    new Date(run!.expiresAt * 1000).toISOString(),
    'puts',
    store.stats.putCalls,
    'ttlRefreshPuts',
    store.stats.ttlRefreshPuts,
  );
  await d.stop();
}
main();
