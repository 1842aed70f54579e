/**
 * A StateStore in process memory for the wall-time and memory runs: those measure the core and the
 * HTTP client, so the store must cost next to nothing and add no I/O. It still returns copies, as
 * DynamoDB would, so the core cannot get away with mutating what it loaded.
 */
import { StateConflictError } from '../lambda/core/errors';
import { RUN_STATE_KEY, type StateChange, type StateStore } from '../lambda/core/ports';
import type { PodState, RunState, StoredState } from '../lambda/core/types';

export class MemoryStateStore implements StateStore {
  writes = 0;
  private readonly pods = new Map<string, PodState>();
  private run: RunState = { version: 0, keyFailStreak: 0 };
  private lease: { owner: string; expiresAt: number } | undefined;

  async load(podKeys: readonly string[]): Promise<StoredState> {
    const pods = new Map<string, PodState>();
    for (const key of podKeys) {
      const state = this.pods.get(key);
      if (state) pods.set(key, structuredClone(state));
    }
    return { pods, run: structuredClone(this.run) };
  }

  async commit(changes: readonly StateChange[]): Promise<void> {
    for (const change of changes) {
      const current =
        change.key === RUN_STATE_KEY ? this.run.version : (this.pods.get(change.key)?.version ?? 0);
      if (current !== change.expectedVersion) throw new StateConflictError(`conflict on ${change.key}`);
    }
    for (const change of changes) {
      this.writes++;
      const state = structuredClone({ ...change.state, version: change.expectedVersion + 1 });
      if (change.key === RUN_STATE_KEY) this.run = state as RunState;
      else this.pods.set(change.key, state as PodState);
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
