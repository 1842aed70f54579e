/**
 * A quiet deployment must not lose its state to TTL: steady runs write nothing, yet the items of
 * configured pods are refreshed before they expire (found in review: the refresh only ran when
 * something else changed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../../lambda/adapters/dynamodb-state-store';
import { parseConfig } from '../../../lambda/config/config';
import { runCheck } from '../../../lambda/core/run-check';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite';
import { FakeClock, FakeKeySource, FakePodApi, podInfo, RecordingNotifier, TASK } from '../../support/fakes';

let dynalite: DynaliteHandle;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite.stop();
});

describe('TTL refresh through runCheck', () => {
  it('rewrites a steady pod about every 10 days and not in between', async () => {
    const table = await dynalite.createTable();
    const clock = new FakeClock();
    const store = new DynamoDbStateStore({
      client: dynalite.client,
      tableName: table,
      clock: () => clock.now().getTime(),
    });
    const config = parseConfig({ pods: [{ taskId: TASK, podName: 'steady' }] });
    const deps = {
      keySource: new FakeKeySource(),
      podApi: new FakePodApi().set('steady', podInfo()),
      stateStore: store,
      notifier: new RecordingNotifier(),
      clock,
    };
    const run = async () =>
      runCheck(config, deps, { runId: `r-${clock.now().getTime()}`, leaseTtlMs: 60_000 });

    await run(); // baseline and run state: 2 state puts
    const refreshesAfter = (days: number) => {
      clock.advanceMinutes(days * 24 * 60);
      return run().then(() => store.stats.ttlRefreshPuts);
    };
    expect(await refreshesAfter(1)).toBe(0);
    expect(await refreshesAfter(8)).toBe(0);
    // 11 days after the write, less than 20 of its 30 days are left: refreshed once.
    expect(await refreshesAfter(2)).toBeGreaterThanOrEqual(1);
    const afterFirstRefresh = store.stats.ttlRefreshPuts;
    expect(await refreshesAfter(1)).toBe(afterFirstRefresh);
    expect(deps.notifier.sent).toHaveLength(0);
  });
});
