import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../../lambda/adapters/file-state-store';
import { StateConflictError, StateReadError, StateWriteError } from '../../../lambda/core/errors';
import { RUN_STATE_KEY } from '../../../lambda/core/ports';
import type { PodState } from '../../../lambda/core/types';

let dir: string;
let path: string;
const pod = (podName: string, extra: Partial<PodState> = {}): PodState => ({
  taskId: 't',
  podName,
  version: 0,
  notRunningStreak: 0,
  checkFailStreak: 0,
  finished: false,
  ...extra,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'file-state-'));
  path = join(dir, 'state.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileStateStore', () => {
  it('starts empty when the file does not exist', async () => {
    const s = await new FileStateStore(path).load(['t/a']);
    expect(s.pods.size).toBe(0);
    expect(s.run).toEqual({ version: 0, keyFailStreak: 0 });
  });

  it('round-trips pod and run state, bumping versions, and loads only the asked keys', async () => {
    const store = new FileStateStore(path);
    await store.commit([
      { key: 't/a', expectedVersion: 0, state: pod('a', { lastStatus: 'Running' }) },
      { key: 't/b', expectedVersion: 0, state: pod('b') },
      { key: RUN_STATE_KEY, expectedVersion: 0, state: { version: 0, keyFailStreak: 1 } },
    ]);
    const s = await store.load(['t/a']);
    expect([...s.pods.keys()]).toEqual(['t/a']);
    expect(s.pods.get('t/a')).toMatchObject({ version: 1, lastStatus: 'Running' });
    expect(s.run).toEqual({ version: 1, keyFailStreak: 1 });
  });

  it('refuses a write whose expected version is stale, and writes nothing of that commit', async () => {
    const store = new FileStateStore(path);
    await store.commit([{ key: 't/a', expectedVersion: 0, state: pod('a') }]);
    const before = readFileSync(path, 'utf8');
    await expect(
      store.commit([
        { key: 't/b', expectedVersion: 0, state: pod('b') },
        { key: 't/a', expectedVersion: 0, state: pod('a') },
      ]),
    ).rejects.toBeInstanceOf(StateConflictError);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('replaces the file atomically and leaves no temp files behind', async () => {
    const store = new FileStateStore(path);
    for (let v = 0; v < 5; v++) await store.commit([{ key: 't/a', expectedVersion: v, state: pod('a') }]);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('reports a write into a missing directory as StateWriteError', async () => {
    const store = new FileStateStore(join(dir, 'missing', 'state.json'));
    await expect(store.commit([{ key: 't/a', expectedVersion: 0, state: pod('a') }])).rejects.toBeInstanceOf(
      StateWriteError,
    );
  });

  it('refuses corrupt or foreign files with a StateReadError that says what to do', async () => {
    writeFileSync(path, '{"pods":');
    await expect(new FileStateStore(path).load([])).rejects.toThrow(/not valid JSON; move it aside/);
    writeFileSync(path, '{"something":"else"}');
    await expect(new FileStateStore(path).load([])).rejects.toBeInstanceOf(StateReadError);
  });

  it('grants the lease to one run at a time, and takes over an expired one', async () => {
    let now = 1_000_000;
    const a = new FileStateStore(path, () => now);
    const b = new FileStateStore(path, () => now);
    expect(await a.acquireLease('a', 10_000)).toBe(true);
    expect(await b.acquireLease('b', 10_000)).toBe(false);
    await b.releaseLease('b');
    expect(await b.acquireLease('b', 10_000)).toBe(false);
    now += 10_001;
    expect(await b.acquireLease('b', 10_000)).toBe(true);
    await a.releaseLease('a');
    expect(await a.acquireLease('a', 10_000)).toBe(false);
    await b.releaseLease('b');
    expect(await a.acquireLease('a', 10_000)).toBe(true);
  });

  it('treats a garbled lock file as expired', async () => {
    writeFileSync(`${path}.lock`, 'garbage');
    expect(await new FileStateStore(path).acquireLease('a', 1000)).toBe(true);
  });
});
