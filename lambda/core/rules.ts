/**
 * The alert rules: given what a pod looked like before and what this run saw, decide the pod's new
 * state and which alerts to raise. Pure functions of their inputs (the clock comes in as `now`), so
 * a replayed run decides exactly the same thing.
 */
import type { AlertSettings } from '../config/config';
import type { Alert, CheckOutcome, OpenProblem, PodRef, PodReport, PodState, RunState } from './types';

export type RuleSettings = Pick<
  AlertSettings,
  'failureThreshold' | 'checkFailureThreshold' | 'reminderMinutes' | 'sendRecovered'
>;

export interface PodEvaluation {
  state: PodState;
  /** False when nothing worth storing changed: steady pods cost no state writes. */
  changed: boolean;
  alerts: Alert[];
  report: PodReport;
}

export function initialPodState(pod: PodRef): PodState {
  return {
    taskId: pod.taskId,
    podName: pod.podName,
    version: 0,
    notRunningStreak: 0,
    checkFailStreak: 0,
    finished: false,
  };
}

export function initialRunState(): RunState {
  return { version: 0, keyFailStreak: 0 };
}

function reminderDue(problem: OpenProblem, now: Date, reminderMinutes: number): boolean {
  if (reminderMinutes <= 0) return false;
  return now.getTime() - Date.parse(problem.lastNotifiedAt) >= reminderMinutes * 60_000;
}

/** Pending is usually scheduling or image pulls, so it warns; any other non-Running phase is critical. */
export function notRunningSeverity(status: string): 'critical' | 'warning' {
  return status === 'Pending' ? 'warning' : 'critical';
}

export function evaluatePod(
  pod: PodRef,
  previous: PodState | undefined,
  outcome: CheckOutcome,
  now: Date,
  settings: RuleSettings,
): PodEvaluation {
  const at = now.toISOString();
  const prev = previous ?? initialPodState(pod);
  const next: PodState = structuredClone(prev);
  const alerts: Alert[] = [];
  const ref: PodRef = { taskId: pod.taskId, podName: pod.podName, ...(pod.name ? { name: pod.name } : {}) };
  const raise = (alert: Omit<Alert, 'at' | 'pod'>) => alerts.push({ ...alert, pod: ref, at });

  if (!outcome.ok) {
    const { error } = outcome;
    const report: PodReport = {
      pod: ref,
      health: 'check-failed',
      error: error.message,
      errorKind: error.kind,
    };
    if (outcome.latencyMs !== undefined) report.latencyMs = outcome.latencyMs;
    // A rejected key is one run-wide problem (see evaluateRun), not a fault of this pod.
    if (error.kind === 'auth') return { state: prev, changed: false, alerts, report };
    // A finished pod may be cleaned up by the provider: its disappearance is not an outage.
    if (prev.finished)
      return { state: prev, changed: false, alerts, report: { ...report, health: 'finished' } };

    if (prev.checkFailStreak === 0) next.checkFailingSince = at;
    next.checkFailStreak = Math.min(prev.checkFailStreak + 1, settings.checkFailureThreshold);
    if (next.checkFailStreak >= settings.checkFailureThreshold) {
      const since = next.checkFailingSince ?? at;
      if (!prev.checkFailed) {
        next.checkFailed = { since, lastNotifiedAt: at, detail: error.message };
        raise({ type: 'check-failed', severity: 'warning', reminder: false, error: error.message, since });
      } else if (reminderDue(prev.checkFailed, now, settings.reminderMinutes)) {
        next.checkFailed = { ...prev.checkFailed, lastNotifiedAt: at, detail: error.message };
        raise({
          type: 'check-failed',
          severity: 'warning',
          reminder: true,
          error: error.message,
          since: prev.checkFailed.since,
        });
      }
    }
    return finish(prev, next, alerts, report);
  }

  const info = outcome.pod;
  const report: PodReport = {
    pod: ref,
    health: 'ok',
    status: info.status,
    restartCount: info.restartCount,
    hostName: info.hostName,
  };
  if (outcome.latencyMs !== undefined) report.latencyMs = outcome.latencyMs;
  const hadCheckFailed = prev.checkFailed;
  next.checkFailStreak = 0;
  delete next.checkFailingSince;
  delete next.checkFailed;

  const stillFinished = prev.finished && info.status === 'Succeeded';
  const firstSight = prev.baseline === undefined;
  const base = prev.baseline;
  if (base && !stillFinished) {
    if (info.createTime !== base.createTime || info.restartCount < base.restartCount) {
      const alert: Omit<Alert, 'at' | 'pod'> = {
        type: 'recreated',
        severity: 'info',
        reminder: false,
        status: info.status,
        restartsBefore: base.restartCount,
        restartsAfter: info.restartCount,
        info,
      };
      if (info.createTime !== base.createTime) alert.previousCreateTime = base.createTime;
      if (info.hostName !== base.hostName) alert.previousHostName = base.hostName;
      raise(alert);
    } else if (info.restartCount > base.restartCount) {
      raise({
        type: 'restarted',
        severity: 'warning',
        reminder: false,
        status: info.status,
        restartsBefore: base.restartCount,
        restartsAfter: info.restartCount,
        info,
      });
    }
  }
  next.baseline = { createTime: info.createTime, restartCount: info.restartCount, hostName: info.hostName };
  next.lastStatus = info.status;

  if (info.status === 'Succeeded') {
    report.health = 'finished';
    if (!prev.finished)
      raise({ type: 'finished', severity: 'info', reminder: false, status: info.status, info });
    next.finished = true;
    if (prev.notRunning || hadCheckFailed) next.lastRecoveredAt = at;
    // Finishing ends any problem: a finished training pod is not an outage, and the notice says so.
    next.notRunningStreak = 0;
    delete next.notRunningSince;
    delete next.notRunning;
    return finish(prev, next, alerts, report);
  }

  next.finished = false;
  if (info.status === 'Running') {
    next.notRunningStreak = 0;
    delete next.notRunningSince;
    delete next.notRunning;
    if (prev.notRunning || hadCheckFailed) next.lastRecoveredAt = at;
    if (prev.notRunning && settings.sendRecovered) {
      raise({
        type: 'recovered',
        severity: 'info',
        reminder: false,
        recoveredFrom: 'not-running',
        status: info.status,
        previousStatus: prev.notRunning.detail,
        since: prev.notRunning.since,
        info,
      });
    } else if (hadCheckFailed && settings.sendRecovered) {
      raise({
        type: 'recovered',
        severity: 'info',
        reminder: false,
        recoveredFrom: 'check-failed',
        status: info.status,
        since: hadCheckFailed.since,
        info,
      });
    }
    return finish(prev, next, alerts, report);
  }

  report.health = 'not-running';
  if (prev.notRunningStreak === 0) next.notRunningSince = at;
  next.notRunningStreak = Math.min(prev.notRunningStreak + 1, settings.failureThreshold);
  const since = next.notRunningSince ?? at;
  const severity = notRunningSeverity(info.status);
  const problem = {
    type: 'not-running' as const,
    severity,
    status: info.status,
    info,
    restartsAfter: info.restartCount,
  };
  if (!prev.notRunning) {
    // After an open check-failed problem, a not-Running answer is news too: say it now, so the
    // check-failed problem never ends in silence.
    if (firstSight || hadCheckFailed || next.notRunningStreak >= settings.failureThreshold) {
      next.notRunning = { since, lastNotifiedAt: at, detail: info.status };
      const alert: Omit<Alert, 'at' | 'pod'> = { ...problem, reminder: false, since };
      if (prev.lastStatus !== undefined && prev.lastStatus !== info.status)
        alert.previousStatus = prev.lastStatus;
      raise(alert);
    }
  } else if (prev.notRunning.detail !== info.status) {
    // Pending → Failed is news, not a reminder: say it now.
    next.notRunning = { since: prev.notRunning.since, lastNotifiedAt: at, detail: info.status };
    raise({
      ...problem,
      reminder: false,
      previousStatus: prev.notRunning.detail,
      since: prev.notRunning.since,
    });
  } else if (reminderDue(prev.notRunning, now, settings.reminderMinutes)) {
    next.notRunning = { ...prev.notRunning, lastNotifiedAt: at };
    raise({ ...problem, reminder: true, since: prev.notRunning.since });
  }
  return finish(prev, next, alerts, report);
}

function finish(prev: PodState, next: PodState, alerts: Alert[], report: PodReport): PodEvaluation {
  return { state: next, changed: !sameState(prev, next), alerts, report };
}

/** Structural equality ignoring key order and undefined-valued keys. */
export function sameState(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .filter(([, x]) => x !== undefined)
          .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
      );
    }
    return v;
  });
}

export interface RunObservation {
  /** The key could not be read this run (nothing was checked). */
  keyError?: string;
  /** Pods for which the API rejected the key (after one refresh of the key). */
  authRejected: number;
  /** The error text of one rejection, for the alert. */
  authError?: string;
  /** Pods the API answered for with the key accepted (success or a non-auth error from the API). */
  keyAccepted: number;
}

export interface RunEvaluation {
  state: RunState;
  changed: boolean;
  alerts: Alert[];
}

/** Run-wide problems: the key could not be read, or the API rejected it. One alert each, not one per pod. */
export function evaluateRun(
  previous: RunState | undefined,
  obs: RunObservation,
  now: Date,
  settings: RuleSettings,
): RunEvaluation {
  const at = now.toISOString();
  const prev = previous ?? initialRunState();
  const next: RunState = structuredClone(prev);
  const alerts: Alert[] = [];

  if (obs.keyError !== undefined) {
    if (prev.keyFailStreak === 0) next.keyFailingSince = at;
    next.keyFailStreak = Math.min(prev.keyFailStreak + 1, settings.checkFailureThreshold);
    const since = next.keyFailingSince ?? at;
    if (next.keyFailStreak >= settings.checkFailureThreshold) {
      if (!prev.keyFailed) {
        next.keyFailed = { since, lastNotifiedAt: at, detail: obs.keyError };
        alerts.push({
          type: 'check-failed',
          severity: 'critical',
          reminder: false,
          error: obs.keyError,
          since,
          at,
        });
      } else if (reminderDue(prev.keyFailed, now, settings.reminderMinutes)) {
        next.keyFailed = { ...prev.keyFailed, lastNotifiedAt: at, detail: obs.keyError };
        alerts.push({
          type: 'check-failed',
          severity: 'critical',
          reminder: true,
          error: obs.keyError,
          since: prev.keyFailed.since,
          at,
        });
      }
    }
    // Nothing was asked of the API, so what we know about the key's acceptance is unchanged.
    return { state: next, changed: !sameState(prev, next), alerts };
  }

  next.keyFailStreak = 0;
  delete next.keyFailingSince;
  delete next.keyFailed;
  if (prev.keyFailed && settings.sendRecovered) {
    alerts.push({
      type: 'recovered',
      severity: 'info',
      reminder: false,
      recoveredFrom: 'check-failed',
      since: prev.keyFailed.since,
      at,
    });
  }

  if (obs.authRejected > 0) {
    const error = obs.authError ?? 'the API rejected the key';
    if (!prev.authFailed) {
      next.authFailed = { since: at, lastNotifiedAt: at, detail: error };
      alerts.push({
        type: 'auth-failed',
        severity: 'critical',
        reminder: false,
        error,
        podsAffected: obs.authRejected,
        since: at,
        at,
      });
    } else if (reminderDue(prev.authFailed, now, settings.reminderMinutes)) {
      next.authFailed = { ...prev.authFailed, lastNotifiedAt: at };
      alerts.push({
        type: 'auth-failed',
        severity: 'critical',
        reminder: true,
        error,
        podsAffected: obs.authRejected,
        since: prev.authFailed.since,
        at,
      });
    }
  } else if (prev.authFailed && obs.keyAccepted > 0) {
    delete next.authFailed;
    if (settings.sendRecovered) {
      alerts.push({
        type: 'recovered',
        severity: 'info',
        reminder: false,
        recoveredFrom: 'auth-failed',
        since: prev.authFailed.since,
        at,
      });
    }
  }
  return { state: next, changed: !sameState(prev, next), alerts };
}
