import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DynamoDbStateStore,
  type DynamoDbStateStoreOptions,
  LEASE_KEY,
  STATE_TABLE_PARTITION_KEY,
  STATE_TABLE_TTL_ATTRIBUTE,
} from '../../../lambda/adapters/dynamodb-state-store';
import { StateConflictError, StateReadError, StateWriteError } from '../../../lambda/core/errors';
import { RUN_STATE_KEY, SILENCES_KEY, type StateChange } from '../../../lambda/core/ports';
import type { PodState, RunState } from '../../../lambda/core/types';
import { type DynaliteHandle, startDynalite } from '../../support/dynalite';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

function pod(taskId: string, podName: string, extra: Partial<PodState> = {}): PodState {
  return { taskId, podName, version: 0, notRunningStreak: 0, checkFailStreak: 0, finished: false, ...extra };
}

function change(state: PodState | RunState, key?: string): StateChange {
  const k = key ?? ('taskId' in state ? `${state.taskId}/${state.podName}` : RUN_STATE_KEY);
  return { key: k, expectedVersion: state.version, state };
}

describe('DynamoDbStateStore (dynalite)', () => {
  let db: DynaliteHandle;
  let tableName: string;
  let now: number;
  const commandNames: string[] = [];

  beforeAll(async () => {
    db = await startDynalite();
    // Counts what actually goes over the wire, independently of the store's own stats.
    db.client.middlewareStack.add(
      (next, context) => (args) => {
        commandNames.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );
  });
  afterAll(async () => {
    await db?.stop();
  });
  beforeEach(async () => {
    tableName = await db.createTable();
    now = T0;
    commandNames.length = 0;
  });

  const store = (options: Partial<DynamoDbStateStoreOptions> = {}, client: DynamoDBClient = db.client) =>
    new DynamoDbStateStore({ client, tableName, clock: () => now, sleep: async () => {}, ...options });

  async function rawItem(key: string): Promise<Record<string, unknown> | undefined> {
    const doc = DynamoDBDocumentClient.from(db.client);
    const { Item } = await doc.send(
      new GetCommand({
        TableName: tableName,
        Key: { [STATE_TABLE_PARTITION_KEY]: key },
        ConsistentRead: true,
      }),
    );
    return Item;
  }

  it('round-trips pod and run state, dropping undefined fields', async () => {
    const a = pod('task-1', 'pod-0', {
      baseline: { createTime: '2026-01-01 10:00:00', restartCount: 3, hostName: 'gpu-7' },
      lastStatus: 'Pending',
      notRunningStreak: 2,
      notRunningSince: '2026-01-01T10:05:00.000Z',
      notRunning: {
        since: '2026-01-01T10:05:00.000Z',
        lastNotifiedAt: '2026-01-01T10:10:00.000Z',
        detail: 'Pending',
      },
      checkFailingSince: undefined,
    });
    const run: RunState = {
      version: 0,
      keyFailStreak: 1,
      authFailed: { since: 'x', lastNotifiedAt: 'y', detail: 'HTTP 401' },
    };
    const s = store();
    await s.commit([change(a), change(run)]);

    const loaded = await store().load(['task-1/pod-0', 'task-1/pod-1']);
    const { checkFailingSince: _dropped, ...expected } = a;
    expect(loaded.pods.get('task-1/pod-0')).toEqual({ ...expected, version: 1 });
    expect(loaded.pods.has('task-1/pod-1')).toBe(false);
    expect(loaded.pods.size).toBe(1);
    expect(loaded.run).toEqual({ ...run, version: 1 });

    const item = await rawItem('task-1/pod-0');
    expect(item).toMatchObject({ pk: 'task-1/pod-0', version: 1, expiresAt: T0 / 1000 + 30 * 86_400 });
    expect(item?.state).not.toHaveProperty('version');
    expect(s.stats.writeUnitsConsumed).toBeGreaterThan(0);
  });

  it('returns an empty run state when none is stored', async () => {
    const loaded = await store().load([]);
    expect(loaded.pods.size).toBe(0);
    expect(loaded.run).toEqual({ version: 0, keyFailStreak: 0 });
  });

  it('reads 250 pods in 3 consistent BatchGetItem calls of at most 100 keys', async () => {
    const pods = Array.from({ length: 250 }, (_, i) => pod('task-big', `pod-${i}`));
    await store().commit(pods.map((p) => change(p)));
    commandNames.length = 0;

    const s = store();
    const keys = pods.map((p) => `${p.taskId}/${p.podName}`);
    const loaded = await s.load([...keys, keys[0] ?? '', keys[1] ?? '']);

    expect(loaded.pods.size).toBe(250);
    expect([...loaded.pods.values()].every((p) => p.version === 1)).toBe(true);
    expect(commandNames).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand', 'BatchGetItemCommand']);
    expect(s.stats.batchGetCalls).toBe(3);
    expect(s.stats.batchGetRetries).toBe(0);
    expect(s.stats.readUnitsConsumed).toBeGreaterThan(0);
    expect(s.stats.putCalls).toBe(0);
  });

  it('increments the version on every write', async () => {
    const s = store();
    await s.commit([change(pod('t', 'p'))]);
    let loaded = await s.load(['t/p']);
    const v1 = loaded.pods.get('t/p');
    expect(v1?.version).toBe(1);

    await s.commit([change({ ...(v1 as PodState), lastStatus: 'Running' })]);
    loaded = await s.load(['t/p']);
    expect(loaded.pods.get('t/p')).toMatchObject({ version: 2, lastStatus: 'Running' });
  });

  it('turns a lost race into StateConflictError naming the key, after attempting every write', async () => {
    await store().commit([change(pod('t', 'p')), change(pod('t', 'q'))]);
    const first = store();
    const second = store();
    const seenByFirst = await first.load(['t/p', 't/q']);
    const seenBySecond = await second.load(['t/p', 't/q']);
    await first.commit([change({ ...(seenByFirst.pods.get('t/p') as PodState), lastStatus: 'Failed' })]);

    const error = await second
      .commit([
        change({ ...(seenBySecond.pods.get('t/p') as PodState), lastStatus: 'Pending' }),
        change({ ...(seenBySecond.pods.get('t/q') as PodState), lastStatus: 'Pending' }),
        change(pod('t', 'new')),
      ])
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StateConflictError);
    expect((error as Error).message).toContain('t/p');
    expect((error as Error).message).not.toContain('t/q');
    expect(second.stats.conflicts).toBe(1);
    const after = await store().load(['t/p', 't/q', 't/new']);
    expect(after.pods.get('t/p')).toMatchObject({ version: 2, lastStatus: 'Failed' });
    expect(after.pods.get('t/q')).toMatchObject({ version: 2, lastStatus: 'Pending' });
    expect(after.pods.get('t/new')?.version).toBe(1);
  });

  it('refuses to create an item that another run created meanwhile', async () => {
    await store().commit([change(pod('t', 'p'))]);
    await expect(store().commit([change(pod('t', 'p'))])).rejects.toThrow(StateConflictError);
  });

  it('writes nothing when nothing changed and no TTL is near', async () => {
    await store().commit([change(pod('t', 'p')), change({ version: 0, keyFailStreak: 0 })]);
    now = T0 + 9 * DAY_MS;
    const s = store();
    await s.load(['t/p']);
    commandNames.length = 0;
    await s.commit([]);
    expect(commandNames).toEqual([]);
    expect(s.stats.putCalls).toBe(0);
  });

  it('refreshes the TTL of loaded items only, once less than 20 of 30 days remain', async () => {
    await store().commit([
      change(pod('t', 'kept')),
      change(pod('t', 'removed')),
      change(pod('t', 'changed')),
    ]);
    now = T0 + 10 * DAY_MS + 1_000;
    const s = store();
    const loaded = await s.load(['t/kept', 't/changed']);
    await s.commit([change({ ...(loaded.pods.get('t/changed') as PodState), lastStatus: 'Running' })]);

    expect(s.stats.putCalls).toBe(2);
    expect(s.stats.ttlRefreshPuts).toBe(1);
    const newExpiry = now / 1000 + 30 * 86_400;
    expect(await rawItem('t/kept')).toMatchObject({ version: 2, [STATE_TABLE_TTL_ATTRIBUTE]: newExpiry });
    expect(await rawItem('t/changed')).toMatchObject({ version: 2, [STATE_TABLE_TTL_ATTRIBUTE]: newExpiry });
    // Not in the config any more: left to expire.
    expect(await rawItem('t/removed')).toMatchObject({
      version: 1,
      [STATE_TABLE_TTL_ATTRIBUTE]: T0 / 1000 + 30 * 86_400,
    });
    expect((await store().load(['t/kept'])).pods.get('t/kept')).toEqual({ ...pod('t', 'kept'), version: 2 });

    // Refreshed: the runs of the next 10 days write nothing again.
    now += 9 * DAY_MS;
    const next = store();
    await next.load(['t/kept', 't/changed']);
    await next.commit([]);
    expect(next.stats.putCalls).toBe(0);
  });

  it('ignores a refresh that lost to another writer', async () => {
    await store().commit([change(pod('t', 'p'))]);
    now = T0 + 25 * DAY_MS;
    const s = store();
    await s.load(['t/p']);
    const other = store();
    const seen = await other.load(['t/p']);
    await other.commit([change({ ...(seen.pods.get('t/p') as PodState), lastStatus: 'Failed' })]);

    await expect(s.commit([])).resolves.toBeUndefined();
    expect(await rawItem('t/p')).toMatchObject({ version: 2, state: { lastStatus: 'Failed' } });
  });

  describe('lease', () => {
    it('is exclusive until it expires, re-entrant for its owner, and released only by it', async () => {
      const s = store();
      await expect(s.acquireLease('run-a', 60_000)).resolves.toBe(true);
      await expect(s.acquireLease('run-b', 60_000)).resolves.toBe(false);
      await expect(s.acquireLease('run-a', 60_000)).resolves.toBe(true);
      expect(await rawItem(LEASE_KEY)).toMatchObject({
        owner: 'run-a',
        leaseExpiresAtMs: T0 + 60_000,
        [STATE_TABLE_TTL_ATTRIBUTE]: expect.any(Number),
      });

      now += 60_001;
      await expect(s.acquireLease('run-b', 60_000)).resolves.toBe(true);
      // run-a's late release must not free run-b's lease.
      await expect(s.releaseLease('run-a')).resolves.toBeUndefined();
      await expect(s.acquireLease('run-c', 60_000)).resolves.toBe(false);

      await s.releaseLease('run-b');
      expect(await rawItem(LEASE_KEY)).toBeUndefined();
      await expect(s.acquireLease('run-c', 60_000)).resolves.toBe(true);
    });

    it('is never loaded as state', async () => {
      const s = store();
      await s.acquireLease('run-a', 60_000);
      const loaded = await s.load([]);
      expect(loaded.pods.size).toBe(0);
      expect(loaded.run).toEqual({ version: 0, keyFailStreak: 0 });
    });
  });

  describe('SDK failures', () => {
    it('maps each operation on a missing table to the port error', async () => {
      const s = store({ tableName: 'no-such-table' });
      await expect(s.load(['t/p'])).rejects.toThrow(StateReadError);
      await expect(s.load(['t/p'])).rejects.toThrow(/no-such-table \(ResourceNotFoundException\)/);
      await expect(s.commit([change(pod('t', 'p'))])).rejects.toThrow(StateWriteError);
      await expect(s.commit([change(pod('t', 'p'))])).rejects.toThrow(/t\/p \(ResourceNotFoundException\)/);
      await expect(s.acquireLease('run-a', 1_000)).rejects.toThrow(StateReadError);
      await expect(s.releaseLease('run-a')).rejects.toThrow(StateWriteError);
    });

    it('keeps the SDK error as cause', async () => {
      const error = await store({ tableName: 'no-such-table' })
        .load([])
        .catch((e: unknown) => e);
      expect((error as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
    });
  });
});

describe('DynamoDbStateStore UnprocessedKeys (mocked)', () => {
  const key = (k: string) => ({ [STATE_TABLE_PARTITION_KEY]: k });
  const item = (k: string) => ({ ...key(k), version: 3, state: { ...pod('t', k.slice(2)) }, expiresAt: 1 });

  function mocked() {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const mock = mockClient(doc);
    const sleeps: number[] = [];
    const s = new DynamoDbStateStore({
      client: doc,
      tableName: 'state',
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.999,
    });
    return { mock, sleeps, s };
  }

  it('retries unprocessed keys with capped, jittered backoff', async () => {
    const { mock, sleeps, s } = mocked();
    mock
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { state: [item('t/a')] },
        UnprocessedKeys: { state: { Keys: [key('t/b'), key(RUN_STATE_KEY)], ConsistentRead: true } },
      })
      .resolvesOnce({ Responses: { state: [] }, UnprocessedKeys: { state: { Keys: [key('t/b')] } } })
      .resolvesOnce({ Responses: { state: [item('t/b')] }, UnprocessedKeys: {} });

    const loaded = await s.load(['t/a', 't/b']);

    expect([...loaded.pods.keys()].sort()).toEqual(['t/a', 't/b']);
    expect(loaded.pods.get('t/b')?.version).toBe(3);
    const calls = mock.commandCalls(BatchGetCommand);
    expect(calls.map((c) => c.args[0].input.RequestItems?.state?.Keys)).toEqual([
      [key('t/a'), key('t/b'), key(RUN_STATE_KEY), key(SILENCES_KEY)],
      [key('t/b'), key(RUN_STATE_KEY)],
      [key('t/b')],
    ]);
    expect(calls.every((c) => c.args[0].input.RequestItems?.state?.ConsistentRead === true)).toBe(true);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeLessThan(sleeps[1] ?? 0);
    expect(s.stats).toMatchObject({ batchGetCalls: 3, batchGetRetries: 2 });
  });

  it('gives up with StateReadError after 8 tries', async () => {
    const { mock, sleeps, s } = mocked();
    mock.on(BatchGetCommand).resolves({ UnprocessedKeys: { state: { Keys: [key('t/a')] } } });

    await expect(s.load(['t/a'])).rejects.toThrow(/1 key\(s\) still unprocessed after 8 tries/);
    expect(mock.commandCalls(BatchGetCommand)).toHaveLength(8);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(2_000);
  });

  it('reports a throttled write as StateWriteError', async () => {
    const { mock, s } = mocked();
    mock.on(PutCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(s.commit([change(pod('t', 'p'))])).rejects.toThrow(/t\/p \(ThrottlingException\)/);
  });
});
