/** Hand-written fakes of the core's ports, shared by core tests. */
import { KeySourceError, NotifyError, StateConflictError } from '../../lambda/core/errors';
import type { Clock, KeySource, Notifier, PodApi, StateChange, StateStore } from '../../lambda/core/ports';
import { RUN_STATE_KEY, SILENCES_KEY } from '../../lambda/core/ports';
import type {
  CheckOutcome,
  Notification,
  PodInfo,
  PodRef,
  PodState,
  RunState,
  SilenceSet,
  StoredState,
} from '../../lambda/core/types';

export const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';

export function podInfo(partial: Partial<PodInfo> = {}): PodInfo {
  return {
    clusterName: 'k8s-01',
    hostName: 'gpu-node-021',
    namespace: 'usr-iZBv1HWA',
    hostIp: '10.24.7.1',
    status: 'Running',
    podIp: '10.24.7.134',
    restartCount: 0,
    qosClass: 'Guaranteed',
    createBy: 'hejiaoshare001',
    createTime: '2026-11-20 08:00:00',
    ...partial,
  };
}

export class FakeClock implements Clock {
  constructor(public current = new Date('2026-11-28T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advanceMinutes(minutes: number): void {
    this.current = new Date(this.current.getTime() + minutes * 60_000);
  }
}

export class FakeKeySource implements KeySource {
  calls: { forceRefresh: boolean }[] = [];
  constructor(
    public key: string | Error = 'key-1',
    /** What a forced refresh returns, when it differs from `key` (a rotated secret). */
    public refreshed?: string,
  ) {}
  async getKey(options?: { forceRefresh?: boolean }): Promise<string> {
    this.calls.push({ forceRefresh: options?.forceRefresh ?? false });
    if (this.key instanceof Error) throw this.key;
    if (options?.forceRefresh && this.refreshed !== undefined) this.key = this.refreshed;
    return this.key;
  }
}

type Behaviour = PodInfo | CheckOutcome | ((key: string) => CheckOutcome);

/** Answers per pod name; `validKeys` models which keys the API accepts. */
export class FakePodApi implements PodApi {
  pods = new Map<string, Behaviour>();
  calls: { podName: string; key: string }[] = [];
  validKeys: Set<string> | undefined;

  set(podName: string, behaviour: Behaviour): this {
    this.pods.set(podName, behaviour);
    return this;
  }

  async getPodBasic(pod: PodRef, apiKey: string): Promise<CheckOutcome> {
    this.calls.push({ podName: pod.podName, key: apiKey });
    if (this.validKeys && !this.validKeys.has(apiKey)) {
      return {
        ok: false,
        error: { kind: 'auth', message: 'the API rejected the key (HTTP 401, body status 40401)' },
      };
    }
    const b = this.pods.get(pod.podName);
    if (b === undefined) return { ok: false, error: { kind: 'not-found', message: 'pod or task not found' } };
    if (typeof b === 'function') return b(apiKey);
    if ('ok' in b) return b;
    return { ok: true, pod: b, latencyMs: 5 };
  }
}

export class MemoryStateStore implements StateStore {
  pods = new Map<string, PodState>();
  run: RunState = { version: 0, keyFailStreak: 0 };
  silences: SilenceSet = { version: 0, silences: [] };
  lease: { owner: string; expiresAt: number } | undefined;
  commits: StateChange[][] = [];
  failLoad: Error | undefined;
  failCommit: Error | undefined;

  constructor(private readonly nowMs: () => number = Date.now) {}

  async load(podKeys: readonly string[]): Promise<StoredState> {
    if (this.failLoad) throw this.failLoad;
    const pods = new Map<string, PodState>();
    for (const k of podKeys) {
      const s = this.pods.get(k);
      if (s) pods.set(k, structuredClone(s));
    }
    return { pods, run: structuredClone(this.run), silences: structuredClone(this.silences) };
  }

  async commit(changes: readonly StateChange[]): Promise<void> {
    if (changes.length === 0) return;
    if (this.failCommit) throw this.failCommit;
    for (const c of changes) {
      const current =
        c.key === RUN_STATE_KEY
          ? this.run.version
          : c.key === SILENCES_KEY
            ? this.silences.version
            : (this.pods.get(c.key)?.version ?? 0);
      if (current !== c.expectedVersion) throw new StateConflictError(`conflict on ${c.key}`);
    }
    this.commits.push([...changes]);
    for (const c of changes) {
      const state = structuredClone({ ...c.state, version: c.expectedVersion + 1 });
      if (c.key === RUN_STATE_KEY) this.run = state as RunState;
      else if (c.key === SILENCES_KEY) this.silences = state as SilenceSet;
      else this.pods.set(c.key, state as PodState);
    }
  }

  async acquireLease(owner: string, ttlMs: number): Promise<boolean> {
    const now = this.nowMs();
    if (this.lease && this.lease.expiresAt > now && this.lease.owner !== owner) return false;
    this.lease = { owner, expiresAt: now + ttlMs };
    return true;
  }

  async releaseLease(owner: string): Promise<void> {
    if (this.lease?.owner === owner) this.lease = undefined;
  }
}

export class RecordingNotifier implements Notifier {
  sent: Notification[] = [];
  failNext = 0;
  async send(notification: Notification): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new NotifyError('SNS Publish failed: InternalErrorException');
    }
    this.sent.push(notification);
  }
}

export { KeySourceError };
