/** Who hears about an alert, and when: silences, maintenance windows and the catch-up after a window. */
import { describe, expect, it } from 'vitest';
import { type MaintenanceWindow, maintenanceWindowSchema, podKey } from '../../../lambda/config/config';
import {
  applyNotificationPolicy,
  type PolicyDecision,
  type PolicyInput,
} from '../../../lambda/core/notification-policy';
import { initialPodState } from '../../../lambda/core/rules';
import type { Silence } from '../../../lambda/core/silences';
import type { Alert, AlertType, PodInfo, PodRef, PodState, Severity } from '../../../lambda/core/types';
import { podInfo } from '../../support/fakes';

const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const OTHER_TASK = '0b5c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3';
const NOW = new Date('2026-11-28T06:00:00.000Z');
const HOUR = 3_600_000;

const A: PodRef = { taskId: TASK, podName: 'a', name: 'alpha' };
const B: PodRef = { taskId: TASK, podName: 'b' };
const C: PodRef = { taskId: TASK, podName: 'c' };
const X: PodRef = { taskId: OTHER_TASK, podName: 'x' };
const PODS = [A, B, C, X];

function alert(
  type: AlertType,
  pod: PodRef | undefined,
  severity: Severity = 'critical',
  extra: Partial<Alert> = {},
): Alert {
  return {
    type,
    severity,
    reminder: false,
    ...(pod ? { pod } : {}),
    at: NOW.toISOString(),
    ...extra,
  };
}

function silence(over: Partial<Silence> & { id: string }): Silence {
  return {
    taskId: TASK,
    createdAt: new Date(NOW.getTime() - HOUR).toISOString(),
    expiresAt: new Date(NOW.getTime() + HOUR).toISOString(),
    reason: 'known: node drained',
    ...over,
  };
}

function window(name: string, extra: object): MaintenanceWindow {
  return maintenanceWindowSchema.parse({ name, timezone: 'Asia/Shanghai', ...extra });
}

/** Local 13:00-15:00 Shanghai on 2026-11-28 = 05:00-07:00Z, so NOW (06:00Z) is inside. */
function activeWindow(name: string, extra: object = {}): MaintenanceWindow {
  return window(name, { oneOff: { start: '2026-11-28T13:00', end: '2026-11-28T15:00' }, ...extra });
}

/** Ended at local 13:55 (05:55Z), so NOW is after it. */
function endedWindow(name: string, extra: object = {}): MaintenanceWindow {
  return window(name, { oneOff: { start: '2026-11-28T12:00', end: '2026-11-28T13:55' }, ...extra });
}

function podState(pod: PodRef, extra: Partial<PodState> = {}): PodState {
  return { ...initialPodState(pod), version: 3, ...extra };
}

function states(...entries: PodState[]): Map<string, PodState> {
  return new Map(entries.map((s) => [podKey(s), s]));
}

function decide(over: Partial<PolicyInput>): PolicyDecision {
  return applyNotificationPolicy({
    alerts: [],
    pods: PODS,
    states: new Map(),
    silences: [],
    windows: [],
    previouslyActive: [],
    now: NOW,
    ...over,
  });
}

const who = (alerts: readonly Alert[]) => alerts.map((a) => `${a.type}:${a.pod?.podName ?? '(run)'}`);
const heldBy = (d: PolicyDecision) =>
  d.held.map((h) => `${h.alert.type}:${h.alert.pod?.podName ?? '(run)'}:${h.reason}:${h.by}`);

describe('applyNotificationPolicy: silences', () => {
  it('holds the alerts of a silenced pod with reason "silence" and the silence id, and sends the rest', () => {
    const d = decide({
      alerts: [alert('not-running', A), alert('restarted', B, 'warning')],
      silences: [silence({ id: 's-a', podName: 'a' })],
    });
    expect(who(d.send)).toEqual(['restarted:b']);
    expect(heldBy(d)).toEqual(['not-running:a:silence:s-a']);
    expect(d.held[0]?.alert).toEqual(alert('not-running', A));
    expect(d.activeWindows).toEqual([]);
  });

  it('holds every problem type of the pod, but never its recovery', () => {
    const types: AlertType[] = ['not-running', 'restarted', 'recreated', 'finished', 'check-failed'];
    const d = decide({
      alerts: [...types.map((t) => alert(t, A)), alert('recovered', A, 'info')],
      silences: [silence({ id: 's-a', podName: 'a' })],
    });
    expect(who(d.send)).toEqual(['recovered:a']);
    expect(d.held.map((h) => h.alert.type)).toEqual(types);
    expect(d.held.every((h) => h.reason === 'silence')).toBe(true);
  });

  it('a task-wide silence holds every pod of that task and no pod of another task', () => {
    const d = decide({
      alerts: [alert('not-running', A), alert('not-running', B), alert('not-running', X)],
      silences: [silence({ id: 'task-wide' })],
    });
    expect(who(d.send)).toEqual(['not-running:x']);
    expect(heldBy(d)).toEqual(['not-running:a:silence:task-wide', 'not-running:b:silence:task-wide']);
  });

  it('matches the task id case-insensitively (config ids may be upper case)', () => {
    const upper: PodRef = { taskId: TASK.toUpperCase(), podName: 'a' };
    const d = decide({
      alerts: [alert('not-running', upper)],
      pods: [upper],
      silences: [silence({ id: 's' })],
    });
    expect(heldBy(d)).toEqual(['not-running:a:silence:s']);
  });

  it('does not hold a run-wide alert (no pod)', () => {
    const d = decide({ alerts: [alert('auth-failed', undefined)], silences: [silence({ id: 'task-wide' })] });
    expect(who(d.send)).toEqual(['auth-failed:(run)']);
    expect(d.held).toEqual([]);
  });

  it('ends for a pod that recovered after the silence was created (lastRecoveredAt), only for that pod', () => {
    const created = new Date(NOW.getTime() - 2 * HOUR);
    const s = silence({ id: 'task-wide', createdAt: created.toISOString() });
    const d = decide({
      alerts: [alert('not-running', A), alert('not-running', B), alert('not-running', C)],
      silences: [s],
      states: states(
        // recovered after the silence: the silence is over for a
        podState(A, { lastRecoveredAt: new Date(created.getTime() + 60_000).toISOString() }),
        // recovered before it (or at the very instant): still silenced
        podState(B, { lastRecoveredAt: new Date(created.getTime() - HOUR).toISOString() }),
        podState(C, { lastRecoveredAt: created.toISOString() }),
      ),
    });
    expect(who(d.send)).toEqual(['not-running:a']);
    expect(heldBy(d)).toEqual(['not-running:b:silence:task-wide', 'not-running:c:silence:task-wide']);
  });

  it('an expired silence holds nothing, from its expiry instant on', () => {
    const expiresAt = NOW.toISOString();
    const d = decide({ alerts: [alert('not-running', A)], silences: [silence({ id: 'old', expiresAt })] });
    expect(who(d.send)).toEqual(['not-running:a']);
    expect(d.held).toEqual([]);
    const justBefore = decide({
      alerts: [alert('not-running', A)],
      silences: [silence({ id: 'old', expiresAt })],
      now: new Date(NOW.getTime() - 1),
    });
    expect(heldBy(justBefore)).toEqual(['not-running:a:silence:old']);
  });

  it('a silence of another pod of the same task does not hold this one', () => {
    const d = decide({ alerts: [alert('not-running', B)], silences: [silence({ id: 's-a', podName: 'a' })] });
    expect(who(d.send)).toEqual(['not-running:b']);
  });
});

describe('applyNotificationPolicy: maintenance windows', () => {
  it('holds alerts during a window over all pods, with reason "maintenance" and the window name', () => {
    const d = decide({
      alerts: [alert('not-running', A), alert('restarted', X, 'warning'), alert('recovered', B, 'info')],
      windows: [activeWindow('upgrade')],
    });
    expect(d.send).toEqual([]);
    expect(heldBy(d)).toEqual([
      'not-running:a:maintenance:upgrade',
      'restarted:x:maintenance:upgrade',
      'recovered:b:maintenance:upgrade',
    ]);
    expect(d.activeWindows).toEqual(['upgrade']);
  });

  it('reports every active window (and only those) for the next run, even without alerts', () => {
    const d = decide({
      windows: [
        activeWindow('one'),
        endedWindow('over'),
        activeWindow('two', { pods: [{ taskId: TASK, podName: 'c' }] }),
      ],
    });
    expect(d.activeWindows).toEqual(['one', 'two']);
    expect(d.send).toEqual([]);
    expect(d.held).toEqual([]);
  });

  it('a window over some pods holds only their alerts (pod entries and whole-task entries)', () => {
    const d = decide({
      alerts: [
        alert('not-running', A),
        alert('not-running', B),
        alert('not-running', C),
        alert('not-running', X),
      ],
      windows: [
        activeWindow('b-only', { pods: [{ taskId: TASK, podName: 'b' }] }),
        activeWindow('other-task', { pods: [{ taskId: OTHER_TASK }] }),
      ],
    });
    expect(who(d.send)).toEqual(['not-running:a', 'not-running:c']);
    expect(heldBy(d)).toEqual(['not-running:b:maintenance:b-only', 'not-running:x:maintenance:other-task']);
  });

  it('allowCritical lets critical alerts through and still holds the others', () => {
    const d = decide({
      alerts: [
        alert('not-running', A, 'critical'),
        alert('not-running', B, 'warning'),
        alert('finished', C, 'info'),
      ],
      windows: [activeWindow('soft', { allowCritical: true })],
    });
    expect(who(d.send)).toEqual(['not-running:a']);
    expect(heldBy(d)).toEqual(['not-running:b:maintenance:soft', 'finished:c:maintenance:soft']);
  });

  it('a critical alert is still held by another window without allowCritical', () => {
    const d = decide({
      alerts: [alert('not-running', A, 'critical')],
      windows: [activeWindow('soft', { allowCritical: true }), activeWindow('hard')],
    });
    expect(heldBy(d)).toEqual(['not-running:a:maintenance:hard']);
  });

  it('holds run-wide alerts only by a window over all pods', () => {
    const runWide = [alert('auth-failed', undefined), alert('check-failed', undefined, 'warning')];
    const partial = decide({
      alerts: runWide,
      windows: [activeWindow('some', { pods: [{ taskId: TASK }] })],
    });
    expect(who(partial.send)).toEqual(['auth-failed:(run)', 'check-failed:(run)']);
    const all = decide({
      alerts: runWide,
      windows: [activeWindow('some', { pods: [{ taskId: TASK }] }), activeWindow('all')],
    });
    expect(all.send).toEqual([]);
    expect(heldBy(all)).toEqual(['auth-failed:(run):maintenance:all', 'check-failed:(run):maintenance:all']);
  });

  it('holds nothing once a window is over, and nothing before it starts', () => {
    const ended = decide({ alerts: [alert('not-running', A)], windows: [endedWindow('over')] });
    expect(who(ended.send)).toEqual(['not-running:a']);
    expect(ended.activeWindows).toEqual([]);
    const future = decide({
      alerts: [alert('not-running', A)],
      windows: [window('later', { oneOff: { start: '2026-11-28T15:00', end: '2026-11-28T16:00' } })],
    });
    expect(who(future.send)).toEqual(['not-running:a']);
  });

  describe('boundaries', () => {
    const sendsAt = (w: MaintenanceWindow, iso: string) =>
      decide({ alerts: [alert('not-running', A)], windows: [w], now: new Date(iso) }).send.length === 1;

    it('one-off in Asia/Shanghai: held from the exact start minute up to, not including, the end minute', () => {
      // 02:00-04:00 local = 2026-11-27T18:00Z-20:00Z (UTC+8, no DST)
      const w = window('night', { oneOff: { start: '2026-11-28T02:00', end: '2026-11-28T04:00' } });
      expect(sendsAt(w, '2026-11-27T17:59:59.999Z')).toBe(true);
      expect(sendsAt(w, '2026-11-27T18:00:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-11-27T19:59:59.999Z')).toBe(false);
      expect(sendsAt(w, '2026-11-27T20:00:00.000Z')).toBe(true);
    });

    it('recurring in Asia/Shanghai: "30 1 * * *" for 90 minutes is 01:30 to 03:00 local', () => {
      const w = window('nightly', { recurring: { cron: '30 1 * * *', durationMinutes: 90 } });
      expect(sendsAt(w, '2026-11-27T17:29:59.999Z')).toBe(true);
      expect(sendsAt(w, '2026-11-27T17:30:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-11-27T18:59:59.999Z')).toBe(false);
      expect(sendsAt(w, '2026-11-27T19:00:00.000Z')).toBe(true);
    });

    it('one-off across the Europe/Berlin spring-forward change ends at the real local end', () => {
      // 2026-03-29 02:00 CET → 03:00 CEST. 01:00 CET = 00:00Z, 04:00 CEST = 02:00Z (two real hours).
      const w = maintenanceWindowSchema.parse({
        name: 'spring',
        timezone: 'Europe/Berlin',
        oneOff: { start: '2026-03-29T01:00', end: '2026-03-29T04:00' },
      });
      expect(sendsAt(w, '2026-03-28T23:59:00.000Z')).toBe(true);
      expect(sendsAt(w, '2026-03-29T00:00:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-03-29T01:30:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-03-29T01:59:59.999Z')).toBe(false);
      expect(sendsAt(w, '2026-03-29T02:00:00.000Z')).toBe(true);
    });

    it('one-off across the Europe/Berlin fall-back change lasts the extra hour', () => {
      // 2026-10-25 03:00 CEST → 02:00 CET. 01:00 CEST = 24th 23:00Z, 04:00 CET = 03:00Z (four real hours).
      const w = maintenanceWindowSchema.parse({
        name: 'autumn',
        timezone: 'Europe/Berlin',
        oneOff: { start: '2026-10-25T01:00', end: '2026-10-25T04:00' },
      });
      expect(sendsAt(w, '2026-10-24T22:59:00.000Z')).toBe(true);
      expect(sendsAt(w, '2026-10-24T23:00:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-10-25T02:30:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-10-25T02:59:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-10-25T03:00:00.000Z')).toBe(true);
    });

    it('recurring in Europe/Berlin counts its duration in real minutes across the spring-forward change', () => {
      // "0 1 * * *" for 180 minutes: 01:00 CET = 00:00Z, ends 03:00Z (05:00 CEST on the wall clock).
      const w = maintenanceWindowSchema.parse({
        name: 'nightly',
        timezone: 'Europe/Berlin',
        recurring: { cron: '0 1 * * *', durationMinutes: 180 },
      });
      expect(sendsAt(w, '2026-03-28T23:59:00.000Z')).toBe(true);
      expect(sendsAt(w, '2026-03-29T00:00:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-03-29T02:59:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-03-29T03:00:00.000Z')).toBe(true);
      // The day before (no change): 01:00 CET = 00:00Z to 03:00Z as well.
      expect(sendsAt(w, '2026-03-28T00:00:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-03-28T03:00:00.000Z')).toBe(true);
      // The day after (CEST): 01:00 CEST = 23:00Z the evening before, to 02:00Z.
      expect(sendsAt(w, '2026-03-29T22:59:00.000Z')).toBe(true);
      expect(sendsAt(w, '2026-03-29T23:00:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-03-30T01:59:00.000Z')).toBe(false);
      expect(sendsAt(w, '2026-03-30T02:00:00.000Z')).toBe(true);
    });
  });
});

describe('applyNotificationPolicy: catch-up when a window ends', () => {
  const failedInfo: PodInfo = podInfo({ status: 'Failed', restartCount: 4 });
  const notRunningA = podState(A, {
    lastStatus: 'Failed',
    notRunningStreak: 1,
    notRunningSince: '2026-11-28T04:10:00.000Z',
    notRunning: {
      since: '2026-11-28T04:10:00.000Z',
      lastNotifiedAt: '2026-11-28T04:10:00.000Z',
      detail: 'Failed',
    },
  });
  const checkFailedB = podState(B, {
    checkFailStreak: 3,
    checkFailingSince: '2026-11-28T04:20:00.000Z',
    checkFailed: {
      since: '2026-11-28T04:20:00.000Z',
      lastNotifiedAt: '2026-11-28T04:30:00.000Z',
      detail: 'HTTP 502 from the API',
    },
  });
  const healthyC = podState(C, { lastStatus: 'Running', lastRecoveredAt: '2026-11-28T05:00:00.000Z' });
  const pendingX = podState(X, {
    lastStatus: 'Pending',
    notRunningStreak: 1,
    notRunning: {
      since: '2026-11-28T04:00:00.000Z',
      lastNotifiedAt: '2026-11-28T04:00:00.000Z',
      detail: 'Pending',
    },
  });
  const allStates = () => states(notRunningA, checkFailedB, healthyC, pendingX);

  it('sends one catch-up reminder per covered pod still not-running or check-failed, and none for healthy pods', () => {
    const d = decide({
      windows: [endedWindow('upgrade')],
      previouslyActive: ['upgrade'],
      states: allStates(),
      observations: new Map([[podKey(A), failedInfo]]),
    });
    expect(d.held).toEqual([]);
    expect(d.activeWindows).toEqual([]);
    expect(who(d.send)).toEqual(['not-running:a', 'check-failed:b', 'not-running:x']);
    expect(d.send.every((a) => a.catchUp === true && a.reminder === true && a.at === NOW.toISOString())).toBe(
      true,
    );
    const [a, b, x] = d.send;
    expect(a).toMatchObject({
      type: 'not-running',
      severity: 'critical',
      pod: A,
      status: 'Failed',
      since: '2026-11-28T04:10:00.000Z',
      info: failedInfo,
      restartsAfter: 4,
    });
    expect(b).toMatchObject({
      type: 'check-failed',
      severity: 'warning',
      pod: B,
      error: 'HTTP 502 from the API',
      since: '2026-11-28T04:20:00.000Z',
    });
    expect(b?.info).toBeUndefined();
    expect(x).toMatchObject({ type: 'not-running', severity: 'warning', status: 'Pending', pod: X });
  });

  it('covers only the pods of the ended window', () => {
    const d = decide({
      windows: [
        endedWindow('task-a', {
          pods: [
            { taskId: TASK, podName: 'a' },
            { taskId: TASK, podName: 'c' },
          ],
        }),
      ],
      previouslyActive: ['task-a'],
      states: allStates(),
    });
    expect(who(d.send)).toEqual(['not-running:a']);
  });

  it('skips a pod that already has an alert this run', () => {
    const fresh = alert('not-running', A, 'critical', { status: 'Unknown', previousStatus: 'Failed' });
    const d = decide({
      alerts: [fresh, alert('restarted', B, 'warning')],
      windows: [endedWindow('upgrade')],
      previouslyActive: ['upgrade'],
      states: allStates(),
    });
    expect(d.send[0]).toBe(fresh);
    expect(d.send[1]?.type).toBe('restarted');
    expect(who(d.send)).toEqual(['not-running:a', 'restarted:b', 'not-running:x']);
    expect(d.send.filter((a) => a.catchUp).map((a) => a.pod?.podName)).toEqual(['x']);
  });

  it('sends nothing while the window is still active, nor for a window that was not active at the previous run', () => {
    const still = decide({
      windows: [activeWindow('upgrade')],
      previouslyActive: ['upgrade'],
      states: allStates(),
    });
    expect(still.send).toEqual([]);
    expect(still.held).toEqual([]);
    expect(still.activeWindows).toEqual(['upgrade']);
    const never = decide({ windows: [endedWindow('upgrade')], previouslyActive: [], states: allStates() });
    expect(never.send).toEqual([]);
    const renamed = decide({
      windows: [endedWindow('upgrade')],
      previouslyActive: ['other'],
      states: allStates(),
    });
    expect(renamed.send).toEqual([]);
  });

  it('sends nothing for pods without state or without an open problem', () => {
    const d = decide({
      windows: [endedWindow('upgrade')],
      previouslyActive: ['upgrade'],
      states: states(healthyC, podState(A, { lastStatus: 'Running' })),
    });
    expect(d.send).toEqual([]);
    expect(d.held).toEqual([]);
  });

  it('a catch-up for a silenced pod, or one under another window still active, is held', () => {
    const d = decide({
      windows: [endedWindow('upgrade'), activeWindow('x-work', { pods: [{ taskId: OTHER_TASK }] })],
      previouslyActive: ['upgrade', 'x-work'],
      states: allStates(),
      silences: [silence({ id: 's-b', podName: 'b' })],
    });
    expect(who(d.send)).toEqual(['not-running:a']);
    expect(heldBy(d)).toEqual(['check-failed:b:silence:s-b', 'not-running:x:maintenance:x-work']);
    expect(d.held.every((h) => h.alert.catchUp === true)).toBe(true);
    expect(d.activeWindows).toEqual(['x-work']);
  });
});
