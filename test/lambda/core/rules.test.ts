import { describe, expect, it } from 'vitest';
import { evaluatePod, evaluateRun, type RuleSettings } from '../../../lambda/core/rules';
import type { CheckOutcome, PodInfo, PodState, RunState } from '../../../lambda/core/types';
import { podInfo, TASK } from '../../support/fakes';

const settings: RuleSettings = {
  failureThreshold: 1,
  checkFailureThreshold: 3,
  reminderMinutes: 240,
  sendRecovered: true,
};
const pod = { taskId: TASK, podName: 'trainer-0', name: 'trainer' };
const t0 = new Date('2026-11-28T00:00:00.000Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const ok = (p: Partial<PodInfo> = {}): CheckOutcome => ({ ok: true, pod: podInfo(p) });
const fail = (message = 'no complete answer within 10 s'): CheckOutcome => ({
  ok: false,
  error: { kind: 'timeout', message },
});
const authFail: CheckOutcome = { ok: false, error: { kind: 'auth', message: 'rejected' } };

/** Feeds a history of observations (one per 5 minutes) and returns every run's alerts. */
function replay(outcomes: CheckOutcome[], s: RuleSettings = settings, start?: PodState) {
  let state = start;
  const runs = outcomes.map((o, i) => {
    const r = evaluatePod(pod, state, o, at(i * 5), s);
    state = r.changed ? { ...r.state, version: (state?.version ?? 0) + 1 } : (state ?? r.state);
    return r;
  });
  return { runs, state, types: runs.map((r) => r.alerts.map((a) => (a.reminder ? `${a.type}*` : a.type))) };
}

describe('evaluatePod', () => {
  it('sets a baseline on first sight of a Running pod without alerting', () => {
    const r = evaluatePod(pod, undefined, ok({ restartCount: 7 }), t0, settings);
    expect(r.alerts).toEqual([]);
    expect(r.changed).toBe(true);
    expect(r.state.baseline).toEqual({
      createTime: '2026-11-20 08:00:00',
      restartCount: 7,
      hostName: 'gpu-node-021',
    });
    expect(r.report.health).toBe('ok');
  });

  it('a Running pod with a steady restart count never alerts and never changes state', () => {
    const { types, runs } = replay([
      ok({ restartCount: 2 }),
      ok({ restartCount: 2 }),
      ok({ restartCount: 2 }),
    ]);
    expect(types).toEqual([[], [], []]);
    expect(runs.slice(1).map((r) => r.changed)).toEqual([false, false]);
  });

  it('alerts restarted with before and after, once per increase', () => {
    const { runs, types } = replay([
      ok({ restartCount: 3 }),
      ok({ restartCount: 5 }),
      ok({ restartCount: 5 }),
    ]);
    expect(types).toEqual([[], ['restarted'], []]);
    expect(runs[1]?.alerts[0]).toMatchObject({ severity: 'warning', restartsBefore: 3, restartsAfter: 5 });
  });

  it('alerts a first-sight pod that is already not Running at once, even above the threshold', () => {
    const r = evaluatePod(pod, undefined, ok({ status: 'Failed' }), t0, { ...settings, failureThreshold: 3 });
    expect(r.alerts).toHaveLength(1);
    expect(r.alerts[0]).toMatchObject({ type: 'not-running', severity: 'critical', status: 'Failed' });
    expect(r.report.health).toBe('not-running');
  });

  it('rates Pending a warning and other phases critical', () => {
    expect(evaluatePod(pod, undefined, ok({ status: 'Pending' }), t0, settings).alerts[0]?.severity).toBe(
      'warning',
    );
    expect(evaluatePod(pod, undefined, ok({ status: 'Unknown' }), t0, settings).alerts[0]?.severity).toBe(
      'critical',
    );
    expect(
      evaluatePod(pod, undefined, ok({ status: 'CrashLoopBackOff' }), t0, settings).alerts[0]?.severity,
    ).toBe('critical');
  });

  it('waits for failureThreshold consecutive not-Running checks of a known pod', () => {
    const s = { ...settings, failureThreshold: 3 };
    const { types } = replay(
      [
        ok(),
        ok({ status: 'Pending' }),
        ok({ status: 'Pending' }),
        ok(),
        ok({ status: 'Pending' }),
        ok({ status: 'Pending' }),
        ok({ status: 'Pending' }),
      ],
      s,
    );
    expect(types).toEqual([[], [], [], [], [], [], ['not-running']]);
  });

  it('reminds every reminderMinutes with the time since the problem started, then recovers', () => {
    const s = { ...settings, reminderMinutes: 10 };
    const { runs, types } = replay(
      [
        ok(),
        ok({ status: 'Pending' }),
        ok({ status: 'Pending' }),
        ok({ status: 'Pending' }),
        ok({ status: 'Pending' }),
        ok(),
      ],
      s,
    );
    expect(types).toEqual([[], ['not-running'], [], ['not-running*'], [], ['recovered']]);
    expect(runs[3]?.alerts[0]?.since).toBe(at(5).toISOString());
    expect(runs[5]?.alerts[0]).toMatchObject({
      recoveredFrom: 'not-running',
      previousStatus: 'Pending',
      since: at(5).toISOString(),
    });
  });

  it('never reminds when reminderMinutes is 0', () => {
    const s = { ...settings, reminderMinutes: 0 };
    const { types } = replay(
      Array.from({ length: 100 }, () => ok({ status: 'Failed' })),
      s,
    );
    expect(types.flat()).toEqual(['not-running']);
  });

  it('alerts again (not as a reminder) when a not-Running status changes', () => {
    const { runs, types } = replay([ok(), ok({ status: 'Pending' }), ok({ status: 'Failed' })]);
    expect(types).toEqual([[], ['not-running'], ['not-running']]);
    expect(runs[2]?.alerts[0]).toMatchObject({
      severity: 'critical',
      previousStatus: 'Pending',
      reminder: false,
    });
  });

  it('stays quiet about recovery when sendRecovered is off, but closes the problem', () => {
    const { types, state } = replay([ok({ status: 'Failed' }), ok()], { ...settings, sendRecovered: false });
    expect(types).toEqual([['not-running'], []]);
    expect(state?.notRunning).toBeUndefined();
  });

  it('announces Succeeded once, then stays silent while finished or gone', () => {
    const notFound: CheckOutcome = {
      ok: false,
      error: { kind: 'not-found', message: 'pod or task not found' },
    };
    const { runs, types } = replay([
      ok(),
      ok({ status: 'Succeeded' }),
      ok({ status: 'Succeeded', restartCount: 4 }),
      notFound,
      notFound,
      notFound,
      notFound,
    ]);
    expect(types).toEqual([[], ['finished'], [], [], [], [], []]);
    expect(runs.slice(1).map((r) => r.report.health)).toEqual(Array(6).fill('finished'));
    expect(runs[1]?.alerts[0]?.severity).toBe('info');
  });

  it('announces a pod first seen Succeeded as finished', () => {
    expect(
      evaluatePod(pod, undefined, ok({ status: 'Succeeded' }), t0, settings).alerts.map((a) => a.type),
    ).toEqual(['finished']);
  });

  it('detects a recreated pod by createTime, resets the baseline and names the new host', () => {
    const { runs, types, state } = replay([
      ok({ restartCount: 4 }),
      ok({ restartCount: 0, createTime: '2026-11-28 01:00:00', hostName: 'gpu-node-7' }),
      ok({ restartCount: 1, createTime: '2026-11-28 01:00:00', hostName: 'gpu-node-7' }),
    ]);
    expect(types).toEqual([[], ['recreated'], ['restarted']]);
    expect(runs[1]?.alerts[0]).toMatchObject({
      severity: 'info',
      previousHostName: 'gpu-node-021',
      restartsBefore: 4,
      restartsAfter: 0,
    });
    expect(state?.baseline?.restartCount).toBe(1);
  });

  it('treats a restart count that went down as a recreated pod, not a restart', () => {
    const { runs, types } = replay([ok({ restartCount: 5 }), ok({ restartCount: 2 })]);
    expect(types).toEqual([[], ['recreated']]);
    expect(runs[1]?.alerts[0]?.previousHostName).toBeUndefined();
  });

  it('alerts check-failed after checkFailureThreshold consecutive failures, reminds, then recovers', () => {
    const s = { ...settings, reminderMinutes: 10 };
    const { runs, types } = replay([ok(), fail(), fail(), fail(), fail(), fail(), ok()], s);
    expect(types).toEqual([[], [], [], ['check-failed'], [], ['check-failed*'], ['recovered']]);
    expect(runs[3]?.alerts[0]).toMatchObject({
      severity: 'warning',
      since: at(5).toISOString(),
      error: 'no complete answer within 10 s',
    });
    expect(runs[6]?.alerts[0]?.recoveredFrom).toBe('check-failed');
  });

  it('resets the failure streak on a success, so scattered failures never alert', () => {
    const { types } = replay([fail(), fail(), ok(), fail(), fail(), ok(), fail(), fail()]);
    expect(types.flat()).toEqual([]);
  });

  it('caps streaks at the threshold, so a lasting problem stops rewriting state', () => {
    const { runs } = replay([ok(), fail(), fail(), fail(), fail(), fail(), fail()]);
    expect(runs.slice(4).map((r) => r.changed)).toEqual([false, false, false]);
  });

  it('leaves a pod untouched when the key was rejected (a run-wide problem)', () => {
    const prev = replay([ok({ restartCount: 1 })]).state;
    const r = evaluatePod(pod, prev, authFail, t0, settings);
    expect(r).toMatchObject({ changed: false, alerts: [], report: { health: 'check-failed' } });
  });

  it('is deterministic: the same inputs decide the same alerts (replay after a failed notification)', () => {
    const prev = replay([ok({ restartCount: 1 })]).state;
    const a = evaluatePod(pod, prev, ok({ restartCount: 3, status: 'Failed' }), at(60), settings);
    const b = evaluatePod(pod, prev, ok({ restartCount: 3, status: 'Failed' }), at(60), settings);
    expect(a).toEqual(b);
    expect(a.alerts.map((x) => x.type)).toEqual(['restarted', 'not-running']);
  });
});

describe('evaluateRun', () => {
  const run0: RunState = { version: 3, keyFailStreak: 0 };

  it('raises one auth-failed for the run with the number of pods affected, reminds, then recovers', () => {
    const s = { ...settings, reminderMinutes: 60 };
    const r1 = evaluateRun(run0, { authRejected: 12, authError: 'HTTP 401', keyAccepted: 0 }, t0, s);
    expect(r1.alerts).toEqual([
      expect.objectContaining({
        type: 'auth-failed',
        severity: 'critical',
        podsAffected: 12,
        reminder: false,
      }),
    ]);
    const r2 = evaluateRun(r1.state, { authRejected: 12, keyAccepted: 0 }, at(30), s);
    expect(r2.alerts).toEqual([]);
    expect(r2.changed).toBe(false);
    const r3 = evaluateRun(r1.state, { authRejected: 12, keyAccepted: 0 }, at(61), s);
    expect(r3.alerts[0]).toMatchObject({ type: 'auth-failed', reminder: true, since: t0.toISOString() });
    const r4 = evaluateRun(r3.state, { authRejected: 0, keyAccepted: 12 }, at(70), s);
    expect(r4.alerts[0]).toMatchObject({ type: 'recovered', recoveredFrom: 'auth-failed' });
    expect(r4.state.authFailed).toBeUndefined();
  });

  it('keeps an auth problem open while no pod could reach the API', () => {
    const r1 = evaluateRun(run0, { authRejected: 2, keyAccepted: 0 }, t0, settings);
    const r2 = evaluateRun(r1.state, { authRejected: 0, keyAccepted: 0 }, at(5), settings);
    expect(r2.alerts).toEqual([]);
    expect(r2.state.authFailed).toBeDefined();
  });

  it('alerts an unreadable key after checkFailureThreshold runs, then recovers', () => {
    let state = run0;
    const types: string[][] = [];
    for (const [i, keyError] of ['gone', 'gone', 'gone', 'gone', undefined].entries()) {
      const r = evaluateRun(
        state,
        { ...(keyError ? { keyError } : {}), authRejected: 0, keyAccepted: keyError ? 0 : 1 },
        at(i * 5),
        settings,
      );
      state = r.state;
      types.push(r.alerts.map((a) => `${a.type}:${a.severity}`));
    }
    expect(types).toEqual([[], [], ['check-failed:critical'], [], ['recovered:info']]);
  });
});

describe('evaluatePod after a check-failed problem', () => {
  it('alerts a not-Running answer at once, so the check-failed problem never ends in silence', () => {
    const s = { ...settings, failureThreshold: 2, checkFailureThreshold: 1 };
    const { types } = replay([ok(), fail(), ok({ status: 'Pending' }), ok()], s);
    expect(types).toEqual([[], ['check-failed'], ['not-running'], ['recovered']]);
  });
});
