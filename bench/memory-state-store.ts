/**
 * A StateStore in process memory for the wall-time and memory runs: those measure the core and the
 * HTTP client, so the store must cost next to nothing and add no I/O. It still returns copies, as
 * DynamoDB would, so the core cannot get away with mutating what it loaded.
 */
import { StateConflictError } from '../lambda/core/errors';
import { RUN_STATE_KEY, SILENCES_KEY, type StateChange, type StateStore } from '../lambda/core/ports';
import type { PodState, RunState, SilenceSet, StoredState } from '../lambda/core/types';

type Item = PodState | RunState | SilenceSet;

export class MemoryStateStore implements StateStore {
  private readonly items = new Map<string, Item>();
  private lease: { owner: string; expiresAt: number } | undefined;

  async load(podKeys: readonly string[]): Promise<StoredState> {
    const pods = new Map<string, PodState>();
    for (const key of podKeys) {
      const state = this.items.get(key);
      if (state) pods.set(key, structuredClone(state) as PodState);
    }
    const run = this.items.get(RUN_STATE_KEY) ?? { version: 0, keyFailStreak: 0 };
    const silences = this.items.get(SILENCES_KEY) ?? { version: 0, silences: [] };
    return { pods, run: structuredClone(run) as RunState, silences: structuredClone(silences) as SilenceSet };
  }

  async commit(changes: readonly StateChange[]): Promise<void> {
    for (const change of changes) {
      const current = this.items.get(change.key)?.version ?? 0;
      if (current !== change.expectedVersion) throw new StateConflictError(`conflict on ${change.key}`);
    }
    for (const change of changes) {
      this.items.set(change.key, structuredClone({ ...change.state, version: change.expectedVersion + 1 }));
    }
  }

  async acquireLease(owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    if (this.lease && this.lease.expiresAt > now && this.lease.owner !== owner) return false;
    this.lease = { owner, expiresAt: now + ttlMs };
    return true;
  }

  async releaseLease(owner: string): Promise<void> {
    if (this.lease?.owner === owner) this.lease = undefined;
  }
}
