import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambda/config/config';
import { KeySourceError, NotifyError, StateConflictError, StateReadError } from '../../../lambda/core/errors';
import { type RunDeps, type RunResult, runCheck } from '../../../lambda/core/run-check';
import {
  FakeClock,
  FakeKeySource,
  FakePodApi,
  MemoryStateStore,
  podInfo,
  RecordingNotifier,
  TASK,
} from '../../support/fakes';

const config = parseConfig({
  pods: [
    { taskId: TASK, podName: 'a', name: 'alpha' },
    { taskId: TASK, podName: 'b' },
    { taskId: TASK, podName: 'c' },
  ],
  alerts: { checkFailureThreshold: 2 },
});

function setup() {
  const clock = new FakeClock();
  const api = new FakePodApi().set('a', podInfo()).set('b', podInfo()).set('c', podInfo());
  const deps = {
    keySource: new FakeKeySource('key-1'),
    podApi: api,
    stateStore: new MemoryStateStore(() => clock.now().getTime()),
    notifier: new RecordingNotifier(),
    clock,
  } satisfies RunDeps;
  let n = 0;
  const run = async (): Promise<Extract<RunResult, { status: 'completed' }>> => {
    const r = await runCheck(config, deps, { runId: `run-${++n}`, leaseTtlMs: 60_000 });
    clock.advanceMinutes(5);
    if (r.status !== 'completed') throw new Error('run skipped');
    return r;
  };
  return { clock, api, deps, run };
}

describe('runCheck', () => {
  it('first run sets baselines silently; steady runs write nothing and send nothing', async () => {
    const { deps, run } = setup();
    const first = await run();
    expect(first.alerts).toEqual([]);
    // three pods and the run state (when this deployment first ran)
    expect(first.stats.stateWrites).toBe(4);
    const second = await run();
    expect(second.stats.stateWrites).toBe(0);
    expect(deps.notifier.sent).toHaveLength(0);
    expect(deps.stateStore.commits).toHaveLength(1);
  });

  it('sends exactly one notification grouping every alert of the run', async () => {
    const { api, deps, run } = setup();
    await run();
    api.set('a', podInfo({ status: 'Failed' })).set('b', podInfo({ restartCount: 2 }));
    const r = await run();
    expect(deps.notifier.sent).toHaveLength(1);
    expect(r.alerts.map((a) => [a.type, a.pod?.podName])).toEqual([
      ['not-running', 'a'],
      ['restarted', 'b'],
    ]);
    expect(deps.notifier.sent[0]?.alerts).toHaveLength(2);
  });

  it('keeps state unchanged when the notification fails, and sends the same alert next run', async () => {
    const { api, deps, run } = setup();
    await run();
    api.set('b', podInfo({ restartCount: 2 }));
    deps.notifier.failNext = 1;
    await expect(run()).rejects.toBeInstanceOf(NotifyError);
    expect(deps.stateStore.pods.get(`${TASK}/b`)?.baseline?.restartCount).toBe(0);
    const retry = await run();
    expect(retry.alerts.map((a) => a.type)).toEqual(['restarted']);
    expect(deps.notifier.sent).toHaveLength(1);
    expect((await run()).alerts).toEqual([]);
  });

  it('wraps an unexpected notifier exception in NotifyError', async () => {
    const { api, deps, run } = setup();
    await run();
    api.set('a', podInfo({ status: 'Failed' }));
    deps.notifier.send = async () => {
      throw new TypeError('boom');
    };
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifyError);
    expect((err as NotifyError).cause).toBeInstanceOf(TypeError);
  });

  it('throws StateReadError before checking anything when state cannot be read', async () => {
    const { api, deps, run } = setup();
    deps.stateStore.failLoad = new StateReadError('DynamoDB unavailable');
    await expect(run()).rejects.toBeInstanceOf(StateReadError);
    expect(api.calls).toHaveLength(0);
    expect(deps.stateStore.lease).toBeUndefined();
  });

  it('skips the run while another run holds the lease', async () => {
    const { deps, clock } = setup();
    await deps.stateStore.acquireLease('other-run', 60_000);
    const r = await runCheck(config, deps, { runId: 'mine', leaseTtlMs: 60_000 });
    expect(r.status).toBe('skipped');
    clock.advanceMinutes(2);
    expect((await runCheck(config, deps, { runId: 'mine', leaseTtlMs: 60_000 })).status).toBe('completed');
  });

  it('propagates a conflicting commit (another run wrote first) after notifying', async () => {
    const { api, deps, run } = setup();
    await run();
    api.set('a', podInfo({ status: 'Failed' }));
    deps.stateStore.failCommit = new StateConflictError('conflict on a');
    await expect(run()).rejects.toBeInstanceOf(StateConflictError);
  });

  it('sends ONE auth-failed for a rejected key, with no per-pod check-failed', async () => {
    const { api, deps, run } = setup();
    await run();
    api.validKeys = new Set(['other']);
    for (let i = 0; i < 4; i++) await run();
    const types = deps.notifier.sent.flatMap((n) => n.alerts.map((a) => a.type));
    expect(types).toEqual(['auth-failed']);
    expect(deps.notifier.sent[0]?.alerts[0]?.podsAffected).toBe(3);
    expect(deps.keySource.calls.filter((c) => c.forceRefresh)).toHaveLength(4);
    api.validKeys = undefined;
    expect((await run()).alerts.map((a) => [a.type, a.recoveredFrom])).toEqual([
      ['recovered', 'auth-failed'],
    ]);
  });

  it('heals a rotated key without an alert: re-reads the key once and re-checks the rejected pods', async () => {
    const { api, deps, run } = setup();
    await run();
    api.validKeys = new Set(['key-2']);
    deps.keySource.refreshed = 'key-2';
    const r = await run();
    expect(r.alerts).toEqual([]);
    expect(r.pods.every((p) => p.health === 'ok')).toBe(true);
    expect(api.calls.slice(-3).every((c) => c.key === 'key-2')).toBe(true);
  });

  it('reports every pod as not checked when the key cannot be read, and alerts at the threshold', async () => {
    const { deps, run, api } = setup();
    await run();
    deps.keySource.key = new KeySourceError('secret alaya/key has no API key yet');
    const r1 = await run();
    expect(r1.alerts).toEqual([]);
    expect(r1.pods.map((p) => p.health)).toEqual(['check-failed', 'check-failed', 'check-failed']);
    const calls = api.calls.length;
    const r2 = await run();
    expect(api.calls.length).toBe(calls);
    expect(r2.alerts).toEqual([expect.objectContaining({ type: 'check-failed', severity: 'critical' })]);
    expect(r2.alerts[0]?.pod).toBeUndefined();
    expect(r2.alerts[0]?.error).toContain('no API key yet');
  });

  it('rethrows an unexpected key source failure', async () => {
    const { deps, run } = setup();
    deps.keySource.key = new TypeError('bug');
    await expect(run()).rejects.toBeInstanceOf(TypeError);
  });

  it('marks pods not reached before the deadline as check-failed without calling the API', async () => {
    const { deps, api } = setup();
    const controller = new AbortController();
    controller.abort();
    const r = await runCheck(config, deps, { runId: 'x', leaseTtlMs: 1000, signal: controller.signal });
    expect(r.status === 'completed' && r.pods.map((p) => p.errorKind)).toEqual([
      'deadline',
      'deadline',
      'deadline',
    ]);
    expect(api.calls).toHaveLength(0);
  });

  it('checks pods concurrently, never more than the configured concurrency', async () => {
    const many = parseConfig({
      pods: Array.from({ length: 20 }, (_, i) => ({ taskId: TASK, podName: `p${i}` })),
      concurrency: 4,
    });
    const { deps } = setup();
    let inFlight = 0;
    let peak = 0;
    deps.podApi.getPodBasic = async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { ok: true, pod: podInfo() };
    };
    await runCheck(many, deps, { runId: 'x', leaseTtlMs: 1000 });
    expect(peak).toBe(4);
  });

  it('reports health, status and restart count per pod in config order', async () => {
    const { api, run } = setup();
    api
      .set('b', podInfo({ status: 'Pending', restartCount: 1 }))
      .set('c', { ok: false, error: { kind: 'http', message: 'HTTP 502' } });
    const r = await run();
    expect(r.pods.map((p) => [p.pod.podName, p.health, p.status, p.restartCount])).toEqual([
      ['a', 'ok', 'Running', 0],
      ['b', 'not-running', 'Pending', 1],
      ['c', 'check-failed', undefined, undefined],
    ]);
  });
});
