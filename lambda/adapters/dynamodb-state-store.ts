import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  type PutCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { StateConflictError, StateReadError, StateWriteError } from '../core/errors';
import { RUN_STATE_KEY, SILENCES_KEY, type StateChange, type StateStore } from '../core/ports';
import type { PodState, RunState, SilenceSet, StoredState } from '../core/types';

/** Partition key of the state table (string). The CDK stack builds the table from these. */
export const STATE_TABLE_PARTITION_KEY = 'pk';
/** TTL attribute of the state table, in epoch seconds. */
export const STATE_TABLE_TTL_ATTRIBUTE = 'expiresAt';
/** The item that serialises runs. It lives in the state table but is never loaded as state. */
export const LEASE_KEY = '#lease';

export const DEFAULT_STATE_TTL_DAYS = 30;
/** A loaded item is rewritten once less than (ttlDays − this) days of its TTL remain. */
export const TTL_REFRESH_INTERVAL_DAYS = 10;
/** BatchGetItem's own limit. */
const BATCH_GET_MAX_KEYS = 100;
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_MAX_ATTEMPTS = 8;
const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 2_000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The lease item outlives its lease by this much so that TTL deletion never races a live run. */
const LEASE_ITEM_GRACE_S = 60 * 60;

export interface DynamoDbStateStoreOptions {
  /**
   * Built once at module scope by the handler, with default config so AWS_ENDPOINT_URL_DYNAMODB
   * applies. A plain DynamoDBClient is wrapped in a document client here; a document client must
   * keep the default unmarshalling (numbers as JS numbers).
   */
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName: string;
  /** How long a pod's state outlives its last write; pods removed from the config vanish after it. */
  ttlDays?: number;
  /** Epoch milliseconds. */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the backoff jitter. */
  random?: () => number;
  /** BatchGetItem tries per batch of keys before giving up on UnprocessedKeys. */
  maxAttempts?: number;
  /** Requests in flight at once, for both reads and writes. */
  concurrency?: number;
}

export interface DynamoDbStateStoreStats {
  batchGetCalls: number;
  /** BatchGetItem calls made only to fetch UnprocessedKeys again. */
  batchGetRetries: number;
  readUnitsConsumed: number;
  /** Every PutItem, state and lease, successful or not. */
  putCalls: number;
  /** PutItem calls that only extended the TTL of an unchanged item. */
  ttlRefreshPuts: number;
  deleteCalls: number;
  /** From successful writes only: a failed conditional write reports no capacity. */
  writeUnitsConsumed: number;
  conflicts: number;
}

type StoredMap = Record<string, unknown>;

interface LoadedItem {
  version: number;
  state: StoredMap;
  expiresAt: number;
}

interface WriteJob {
  key: string;
  expectedVersion: number;
  state: StoredMap;
  /** Refreshes are best-effort: losing one to a concurrent writer is fine, that writer set a new TTL. */
  refresh: boolean;
}

interface WriteFailure {
  key: string;
  conflict: boolean;
  error: unknown;
}

/**
 * Per-pod and run-wide state in one DynamoDB table: `{ pk, version, state, expiresAt }`, where
 * `state` holds the PodState/RunState fields except `version`, which lives at the top level so that
 * conditions can test it.
 *
 * Every write is conditional on the version read (`attribute_not_exists(pk) OR version = :expected`)
 * so that two overlapping runs cannot silently overwrite each other; the lease normally prevents the
 * overlap, the condition is the safety net.
 *
 * TTL: a steady pod is not rewritten on every run (zero writes in a steady state is a budget), yet
 * pods removed from the config must disappear by TTL. So `load` remembers each item's `expiresAt`,
 * and `commit` also rewrites, unchanged but with a new version and TTL, every loaded item whose TTL
 * is less than (ttlDays − 10) days ahead: a steady pod costs one write about every 10 days, and a pod
 * no longer in the config is no longer loaded, so it is never refreshed and expires.
 */
export class DynamoDbStateStore implements StateStore {
  readonly stats: DynamoDbStateStoreStats = {
    batchGetCalls: 0,
    batchGetRetries: 0,
    readUnitsConsumed: 0,
    putCalls: 0,
    ttlRefreshPuts: 0,
    deleteCalls: 0,
    writeUnitsConsumed: 0,
    conflicts: 0,
  };

  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ttlDays: number;
  private readonly refreshAheadMs: number;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxAttempts: number;
  private readonly concurrency: number;
  /** Items seen by the last `load`, candidates for a TTL refresh. */
  private loaded = new Map<string, LoadedItem>();

  constructor(options: DynamoDbStateStoreOptions) {
    const ttlDays = options.ttlDays ?? DEFAULT_STATE_TTL_DAYS;
    if (!(ttlDays > 0)) throw new RangeError(`ttlDays must be positive, got ${ttlDays}`);
    this.doc =
      options.client instanceof DynamoDBClient
        ? DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } })
        : options.client;
    this.tableName = options.tableName;
    this.ttlDays = ttlDays;
    // With a TTL of 10 days or less, "ttlDays − 10" would let items expire before any refresh.
    const refreshAheadDays =
      ttlDays > TTL_REFRESH_INTERVAL_DAYS ? ttlDays - TTL_REFRESH_INTERVAL_DAYS : ttlDays / 2;
    this.refreshAheadMs = refreshAheadDays * DAY_MS;
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  }

  async load(podKeys: readonly string[]): Promise<StoredState> {
    // A warm container keeps this instance: a failed load must not leave the last run's items to refresh.
    this.loaded = new Map();
    // BatchGetItem rejects a request that names the same key twice.
    const keys = [...new Set([...podKeys, RUN_STATE_KEY, SILENCES_KEY])];
    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_MAX_KEYS)
      batches.push(keys.slice(i, i + BATCH_GET_MAX_KEYS));

    const items = (await mapLimit(batches, this.concurrency, (batch) => this.getBatch(batch))).flat();

    const loaded = new Map<string, LoadedItem>();
    const pods = new Map<string, PodState>();
    let run: RunState = { version: 0, keyFailStreak: 0 };
    let silences: SilenceSet = { version: 0, silences: [] };
    for (const item of items) {
      const key = item[STATE_TABLE_PARTITION_KEY];
      const version = item.version;
      const state = item.state;
      const expiresAt = item[STATE_TABLE_TTL_ATTRIBUTE];
      if (
        typeof key !== 'string' ||
        typeof version !== 'number' ||
        typeof state !== 'object' ||
        state === null ||
        Array.isArray(state)
      ) {
        throw new StateReadError(`state item ${String(key)} in table ${this.tableName} is malformed`);
      }
      loaded.set(key, {
        version,
        state: state as StoredMap,
        expiresAt: typeof expiresAt === 'number' ? expiresAt : 0,
      });
      if (key === RUN_STATE_KEY) run = { keyFailStreak: 0, ...state, version } as RunState;
      else if (key === SILENCES_KEY) silences = { silences: [], ...state, version } as SilenceSet;
      else pods.set(key, { ...state, version } as PodState);
    }
    this.loaded = loaded;
    return { pods, run, silences };
  }

  async commit(changes: readonly StateChange[]): Promise<void> {
    const jobs: WriteJob[] = changes.map((change) => ({
      key: change.key,
      expectedVersion: change.expectedVersion,
      state: withoutVersion(change.state),
      refresh: false,
    }));
    const changed = new Set(changes.map((change) => change.key));
    const refreshBefore = (this.clock() + this.refreshAheadMs) / 1000;
    for (const [key, item] of this.loaded) {
      if (!changed.has(key) && item.expiresAt < refreshBefore) {
        jobs.push({ key, expectedVersion: item.version, state: item.state, refresh: true });
      }
    }
    if (jobs.length === 0) return;

    const failures = (
      await mapLimit(jobs, this.concurrency, async (job): Promise<WriteFailure | undefined> => {
        try {
          await this.write(job);
          return undefined;
        } catch (error) {
          const conflict = errorName(error) === 'ConditionalCheckFailedException';
          if (conflict) this.stats.conflicts++;
          if (conflict && job.refresh) return undefined;
          return { key: job.key, conflict, error };
        }
      })
    ).filter((failure): failure is WriteFailure => failure !== undefined);
    if (failures.length === 0) return;

    const cause =
      failures.length === 1 ? failures[0]?.error : new AggregateError(failures.map((f) => f.error));
    const conflicts = failures.filter((f) => f.conflict);
    const others = failures.filter((f) => !f.conflict);
    const otherText =
      others.length > 0
        ? `; ${others.length} other write(s) failed: ${listKeys(others, (f) => `${f.key} (${errorName(f.error)})`)}`
        : '';
    // A conflict means another run moved on from the state this run acted upon, which is what the
    // caller must hear about first; plain write failures are reported alongside.
    if (conflicts.length > 0) {
      throw new StateConflictError(
        `state changed by another run since it was read: ${listKeys(conflicts, (f) => f.key)}${otherText}`,
        { cause },
      );
    }
    throw new StateWriteError(
      `could not write ${others.length} of ${jobs.length} state item(s) to table ${this.tableName}: ${listKeys(
        others,
        (f) => `${f.key} (${errorName(f.error)})`,
      )}`,
      { cause },
    );
  }

  async acquireLease(owner: string, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    const leaseExpiresAtMs = now + ttlMs;
    this.stats.putCalls++;
    try {
      const output = await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [STATE_TABLE_PARTITION_KEY]: LEASE_KEY,
            owner,
            leaseExpiresAtMs,
            [STATE_TABLE_TTL_ATTRIBUTE]: Math.ceil(leaseExpiresAtMs / 1000) + LEASE_ITEM_GRACE_S,
          },
          // Re-acquiring one's own lease succeeds: a Lambda retry of a timed-out run keeps its request id.
          ConditionExpression: 'attribute_not_exists(#pk) OR #leaseExpiresAtMs < :now OR #owner = :owner',
          ExpressionAttributeNames: {
            '#pk': STATE_TABLE_PARTITION_KEY,
            '#leaseExpiresAtMs': 'leaseExpiresAtMs',
            '#owner': 'owner',
          },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.countWrite(output.ConsumedCapacity);
      return true;
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return false;
      throw new StateReadError(
        `could not take the run lease in table ${this.tableName} (${errorName(error)})`,
        { cause: error },
      );
    }
  }

  async releaseLease(owner: string): Promise<void> {
    this.stats.deleteCalls++;
    try {
      const output = await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [STATE_TABLE_PARTITION_KEY]: LEASE_KEY },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.countWrite(output.ConsumedCapacity);
    } catch (error) {
      // The lease expired and another run took it (or it is gone): nothing of ours to release.
      if (errorName(error) === 'ConditionalCheckFailedException') return;
      throw new StateWriteError(
        `could not release the run lease in table ${this.tableName} (${errorName(error)})`,
        { cause: error },
      );
    }
  }

  private async getBatch(keys: readonly string[]): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let pending: Record<string, unknown>[] = keys.map((key) => ({ [STATE_TABLE_PARTITION_KEY]: key }));
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        this.stats.batchGetRetries++;
        // Full jitter: overlapping batches that were all throttled do not retry in lockstep.
        await this.sleep(
          Math.floor(this.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt)),
        );
      }
      this.stats.batchGetCalls++;
      let output: BatchGetCommandOutput;
      try {
        output = await this.sendBatchGet(pending);
      } catch (error) {
        throw new StateReadError(`could not read state from table ${this.tableName} (${errorName(error)})`, {
          cause: error,
        });
      }
      for (const capacity of output.ConsumedCapacity ?? []) this.stats.readUnitsConsumed += units(capacity);
      items.push(...(output.Responses?.[this.tableName] ?? []));
      pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (pending.length === 0) return items;
      if (attempt + 1 >= this.maxAttempts) {
        throw new StateReadError(
          `could not read state from table ${this.tableName}: ${pending.length} key(s) still unprocessed after ${this.maxAttempts} tries`,
        );
      }
    }
  }

  private sendBatchGet(keys: Record<string, unknown>[]): Promise<BatchGetCommandOutput> {
    return this.doc.send(
      new BatchGetCommand({
        RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  }

  private async write(job: WriteJob): Promise<void> {
    const version = job.expectedVersion + 1;
    const expiresAt = Math.floor(this.clock() / 1000) + Math.round(this.ttlDays * 86_400);
    // An item already deleted by TTL counts as absent, whatever version was read.
    const condition: Pick<
      PutCommandInput,
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    > =
      job.expectedVersion === 0
        ? {
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': STATE_TABLE_PARTITION_KEY },
          }
        : {
            ConditionExpression: 'attribute_not_exists(#pk) OR #version = :expected',
            ExpressionAttributeNames: { '#pk': STATE_TABLE_PARTITION_KEY, '#version': 'version' },
            ExpressionAttributeValues: { ':expected': job.expectedVersion },
          };
    this.stats.putCalls++;
    if (job.refresh) this.stats.ttlRefreshPuts++;
    const output = await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [STATE_TABLE_PARTITION_KEY]: job.key,
          version,
          state: job.state,
          [STATE_TABLE_TTL_ATTRIBUTE]: expiresAt,
        },
        ...condition,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.countWrite(output.ConsumedCapacity);
    // A second commit in the same run must build on what was just written.
    this.loaded.set(job.key, { version, state: job.state, expiresAt });
  }

  private countWrite(capacity: ConsumedCapacity | undefined): void {
    if (capacity) this.stats.writeUnitsConsumed += units(capacity);
  }
}

function units(capacity: ConsumedCapacity): number {
  return capacity.CapacityUnits ?? (capacity.ReadCapacityUnits ?? 0) + (capacity.WriteCapacityUnits ?? 0);
}

/** The stored `state` map: DynamoDB refuses `undefined`, and the version lives outside. */
function withoutVersion(state: PodState | RunState | SilenceSet): StoredMap {
  const { version: _version, ...rest } = state;
  return stripUndefined(rest) as StoredMap;
}

function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
    return out;
  }
  return value;
}

function errorName(error: unknown): string {
  return error instanceof Error && error.name ? error.name : 'UnknownError';
}

function listKeys<T>(items: readonly T[], show: (item: T) => string, max = 5): string {
  const shown = items.slice(0, max).map(show).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

/**
 * Runs `fn` over `items` with at most `limit` in flight, keeping order. After a failure no new item
 * starts, and the first error is thrown once the running ones have settled (no dangling requests).
 */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
