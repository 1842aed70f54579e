/**
 * The silence commands against the deployed table (`--table`): the same DynamoDB state store the
 * Lambda uses, on dynalite, and a run that honours the silence written there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStateStore } from '../../../lambda/adapters/dynamodb-state-store';
import { main } from '../../../lambda/cli/pod-watch-cli';
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

function cliIo(now: Date) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      stdout: (t: string) => out.push(t),
      stderr: (t: string) => err.push(t),
      env: {},
      now: () => now,
      tableStore: async (tableName: string) => new DynamoDbStateStore({ client: dynalite.client, tableName }),
    },
  };
}

describe('pod-watch silence --table', () => {
  it('adds, lists and ends a silence in the table, and a run holds the silenced alert', async () => {
    const table = await dynalite.createTable();
    const clock = new FakeClock();
    const add = cliIo(clock.now());
    const code = await main(
      [
        'silence',
        '--table',
        table,
        '--task',
        TASK,
        '--pod',
        'trainer-0',
        '--for',
        '2h',
        '--reason',
        'node drain',
      ],
      add.io,
    );
    expect([code, add.err]).toEqual([0, []]);
    const id = /Silence ([0-9a-z-]+):/.exec(add.out.join(''))?.[1];
    expect(id).toBeDefined();

    const list = cliIo(clock.now());
    expect(await main(['silences', '--table', table, '--json'], list.io)).toBe(0);
    const listed = JSON.parse(list.out.join('')) as { silences: { id: string; reason: string }[] };
    expect(listed.silences).toEqual([expect.objectContaining({ id, reason: 'node drain' })]);

    // A run reading the same table: the silenced pod's failure is held, the other one is sent.
    const config = parseConfig({
      pods: [
        { taskId: TASK, podName: 'trainer-0' },
        { taskId: TASK, podName: 'trainer-1' },
      ],
    });
    const api = new FakePodApi()
      .set('trainer-0', podInfo({ status: 'Failed' }))
      .set('trainer-1', podInfo({ status: 'Failed' }));
    const notifier = new RecordingNotifier();
    const result = await runCheck(
      config,
      {
        keySource: new FakeKeySource(),
        podApi: api,
        stateStore: new DynamoDbStateStore({ client: dynalite.client, tableName: table }),
        notifier,
        clock,
      },
      { runId: 'run-1', leaseTtlMs: 60_000 },
    );
    expect(result.status === 'completed' && result.alerts.map((a) => a.pod?.podName)).toEqual(['trainer-1']);
    expect(
      result.status === 'completed' && result.held.map((h) => [h.alert.pod?.podName, h.reason, h.by]),
    ).toEqual([['trainer-0', 'silence', id]]);

    const end = cliIo(clock.now());
    expect(await main(['unsilence', id as string, '--table', table], end.io)).toBe(0);
    const after = cliIo(clock.now());
    await main(['silences', '--table', table], after.io);
    expect(after.out.join('')).toContain('No active silences.');
  });

  it('refuses --table together with --config, and a malformed table name', async () => {
    const both = cliIo(new Date());
    expect(await main(['silences', '--table', 'abc', '--config', 'x.json'], both.io)).toBe(3);
    expect(both.err.join('')).toContain('either --table NAME or --config FILE');
    const bad = cliIo(new Date());
    expect(await main(['silences', '--table', 'no spaces allowed'], bad.io)).toBe(3);
    expect(bad.err.join('')).toContain('--table must be a DynamoDB table name');
  });
});
