/**
 * `silence`, `silences` and `unsilence`: acknowledgements kept in the same state store the checks
 * use (the local state file, or the deployed DynamoDB table with `--table`).
 */
import { userInfo } from 'node:os';
import { UsageError } from '../core/errors';
import type { StateStore } from '../core/ports';
import { SILENCES_KEY } from '../core/ports';
import { newSilence, parseSilenceDuration, pruneSilences, type Silence } from '../core/silences';
import type { SilenceSet } from '../core/types';

export interface SilenceStoreTarget {
  store: StateStore;
  /** For messages: the state file path or the table name. */
  where: string;
}

const LEASE_TRIES = 20;
const LEASE_WAIT_MS = 500;

/**
 * Reads the silences, applies `change`, writes them back conditionally (retrying once on a race),
 * under the run lease so that a local `check` committing at the same moment cannot lose either
 * update. Writes nothing when `change` leaves the list as it was.
 */
async function updateSilences(
  store: StateStore,
  change: (silences: Silence[], now: Date) => Silence[],
  now: Date,
): Promise<SilenceSet> {
  const owner = `silence-cli-${process.pid}-${now.getTime()}`;
  let leased = false;
  for (let i = 0; i < LEASE_TRIES && !leased; i++) {
    leased = await store.acquireLease(owner, 30_000);
    if (!leased) await new Promise((resolve) => setTimeout(resolve, LEASE_WAIT_MS));
  }
  if (!leased) throw new UsageError('a check run holds the state lock; try again in a minute');
  try {
    for (let attempt = 0; ; attempt++) {
      const { silences } = await store.load([]);
      const current = pruneSilences(silences.silences, now);
      const next = change(current, now);
      if (next.length === silences.silences.length && next.every((s, i) => s === silences.silences[i])) {
        return silences;
      }
      const state: SilenceSet = { version: silences.version, silences: next };
      try {
        await store.commit([{ key: SILENCES_KEY, expectedVersion: silences.version, state }]);
        return { ...state, version: silences.version + 1 };
      } catch (err) {
        if (attempt >= 1 || !(err instanceof Error) || err.name !== 'StateConflictError') throw err;
      }
    }
  } finally {
    await store.releaseLease(owner);
  }
}

export async function addSilence(
  target: SilenceStoreTarget,
  args: { task: string; pod?: string; for: string; reason: string },
  now: Date,
): Promise<Silence> {
  let forMs: number;
  try {
    forMs = parseSilenceDuration(args.for);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let created: Silence | undefined;
  let createdBy: string | undefined;
  try {
    createdBy = userInfo().username;
  } catch {
    createdBy = undefined;
  }
  try {
    created = newSilence({
      taskId: args.task,
      ...(args.pod ? { podName: args.pod } : {}),
      forMs,
      reason: args.reason,
      now,
      ...(createdBy ? { createdBy } : {}),
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const silence = created;
  await updateSilences(target.store, (list) => [...list, silence], now);
  return silence;
}

export async function removeSilence(target: SilenceStoreTarget, id: string, now: Date): Promise<boolean> {
  // An unknown ID is a usage error: answer it without taking the lock or writing anything.
  if (!(await listSilences(target, now)).some((s) => s.id === id)) return false;
  let found = false;
  await updateSilences(
    target.store,
    (list) => {
      found = list.some((s) => s.id === id);
      return list.filter((s) => s.id !== id);
    },
    now,
  );
  return found;
}

export async function listSilences(target: SilenceStoreTarget, now: Date): Promise<Silence[]> {
  const { silences } = await target.store.load([]);
  return pruneSilences(silences.silences, now);
}

export function renderSilences(silences: readonly Silence[], now: Date): string {
  if (silences.length === 0) return 'No active silences.\n';
  const rows = silences.map((s) => {
    const left = Math.max(0, Date.parse(s.expiresAt) - now.getTime());
    const hours = Math.floor(left / 3_600_000);
    const minutes = Math.floor((left % 3_600_000) / 60_000);
    return `${s.id}  ${s.taskId}  ${s.podName ?? '(all pods of the task)'}  until ${s.expiresAt} (${hours}h${minutes}m left)  by ${s.createdBy ?? '?'}: ${s.reason}`;
  });
  return `${rows.join('\n')}\n(a silence also ends when its pod recovers)\n`;
}
