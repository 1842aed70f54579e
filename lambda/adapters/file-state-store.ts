/**
 * Local state: one JSON file, replaced atomically (write a temp file, fsync, rename) so a crash or a
 * full disk never leaves a half-written file. A lock file beside it is the run lease, so two cron
 * runs that overlap do not both alert.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { StateConflictError, StateReadError, StateWriteError } from '../core/errors';
import type { StateChange, StateStore } from '../core/ports';
import { RUN_STATE_KEY, SILENCES_KEY } from '../core/ports';
import type { PodState, RunState, SilenceSet, StoredState } from '../core/types';

interface StateFile {
  format: 1;
  pods: Record<string, PodState>;
  run?: RunState;
  silences?: SilenceSet;
}

export class FileStateStore implements StateStore {
  private readonly lockPath: string;

  constructor(
    readonly path: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.lockPath = `${path}.lock`;
  }

  async load(podKeys: readonly string[]): Promise<StoredState> {
    const file = await this.read();
    const pods = new Map<string, PodState>();
    for (const key of podKeys) {
      const state = file.pods[key];
      if (state) pods.set(key, state);
    }
    return {
      pods,
      run: file.run ?? { version: 0, keyFailStreak: 0 },
      silences: file.silences ?? { version: 0, silences: [] },
    };
  }

  async commit(changes: readonly StateChange[]): Promise<void> {
    if (changes.length === 0) return;
    const file = await this.read().catch((err: unknown) => {
      throw new StateWriteError(`cannot re-read ${this.path} before writing`, { cause: err });
    });
    for (const change of changes) {
      const current =
        change.key === RUN_STATE_KEY
          ? file.run
          : change.key === SILENCES_KEY
            ? file.silences
            : file.pods[change.key];
      const currentVersion = current?.version ?? 0;
      if (currentVersion !== change.expectedVersion) {
        throw new StateConflictError(
          `state of ${change.key} changed since it was read (version ${currentVersion}, expected ${change.expectedVersion})`,
        );
      }
    }
    for (const change of changes) {
      const state = { ...change.state, version: change.expectedVersion + 1 };
      if (change.key === RUN_STATE_KEY) file.run = state as RunState;
      else if (change.key === SILENCES_KEY) file.silences = state as SilenceSet;
      else file.pods[change.key] = state as PodState;
    }
    await this.writeAtomically(`${JSON.stringify(file, null, 2)}\n`);
  }

  async acquireLease(owner: string, ttlMs: number): Promise<boolean> {
    const body = JSON.stringify({ owner, expiresAtMs: this.nowMs() + ttlMs });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(this.lockPath, 'wx');
        try {
          await handle.writeFile(body);
        } finally {
          await handle.close();
        }
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StateReadError(`cannot create the lock file ${this.lockPath}`, { cause: err });
        }
      }
      // Someone holds the lock: take it over only if its holder's lease has run out (a crashed run).
      const holder = await this.readLock();
      if (holder && holder.expiresAtMs > this.nowMs()) return false;
      await unlink(this.lockPath).catch(() => undefined);
    }
    return false;
  }

  async releaseLease(owner: string): Promise<void> {
    const holder = await this.readLock();
    if (holder?.owner !== owner) return;
    try {
      await unlink(this.lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new StateWriteError(`cannot remove the lock file ${this.lockPath}`, { cause: err });
      }
    }
  }

  private async readLock(): Promise<{ owner: string; expiresAtMs: number } | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.lockPath, 'utf8')) as {
        owner?: unknown;
        expiresAtMs?: unknown;
      };
      if (typeof parsed.owner === 'string' && typeof parsed.expiresAtMs === 'number') {
        return { owner: parsed.owner, expiresAtMs: parsed.expiresAtMs };
      }
      return { owner: '', expiresAtMs: 0 };
    } catch {
      // Unreadable or half-written lock (a crash mid-write): treat as expired.
      return undefined;
    }
  }

  private async read(): Promise<StateFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { format: 1, pods: {} };
      throw new StateReadError(`cannot read the state file ${this.path}`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      // Never overwrite a state file we cannot read: it may hold open problems we would forget.
      throw new StateReadError(
        `the state file ${this.path} is not valid JSON; move it aside to start afresh (open alerts would be sent again)`,
        { cause: err },
      );
    }
    if (
      !parsed ||
      typeof parsed !== 'object' ||
      (parsed as StateFile).format !== 1 ||
      typeof (parsed as StateFile).pods !== 'object'
    ) {
      throw new StateReadError(`the state file ${this.path} is not an alaya-pod-watch state file (format 1)`);
    }
    return parsed as StateFile;
  }

  private async writeAtomically(text: string): Promise<void> {
    const temp = `${this.path}.${process.pid}.${randomUUID()}.tmp`;
    try {
      const handle = await open(temp, 'w', 0o600);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw new StateWriteError(`cannot write the state file ${this.path}`, { cause: err });
    }
  }
}
