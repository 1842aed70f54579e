/**
 * Who hears about an alert, and when: silences (acknowledgements) and maintenance windows hold
 * alerts back; the end of a window brings one catch-up of what is still wrong. Pure: decided from
 * the alerts, the new pod states, the config and the clock.
 */
import { type MaintenanceWindow, podKey } from '../config/config';
import { isWindowActive, windowCoversPod } from './maintenance-windows';
import { notRunningSeverity } from './rules';
import { type Silence, silenceFor } from './silences';
import type { Alert, PodInfo, PodRef, PodState, RunState } from './types';

export type HoldReason = 'silence' | 'maintenance';

export interface HeldAlert {
  alert: Alert;
  reason: HoldReason;
  /** The silence id or the window name. */
  by: string;
}

export interface PolicyInput {
  alerts: Alert[];
  pods: readonly PodRef[];
  /** Pod states after this run's evaluation, by podKey. */
  states: ReadonlyMap<string, PodState>;
  /** This run's observations, by podKey, for the details of catch-up alerts. */
  observations?: ReadonlyMap<string, PodInfo>;
  silences: readonly Silence[];
  windows: readonly MaintenanceWindow[];
  /** The run-wide state after this run's evaluation (open auth and key problems). */
  run?: RunState;
  /** Names of the windows that were active at the previous run. */
  previouslyActive: readonly string[];
  now: Date;
}

export interface PolicyDecision {
  send: Alert[];
  held: HeldAlert[];
  /** Names of the windows active now (stored for the next run). */
  activeWindows: string[];
}

export function applyNotificationPolicy(input: PolicyInput): PolicyDecision {
  const { now } = input;
  const active = input.windows.filter((w) => isWindowActive(w, now));
  const activeNames = active.map((w) => w.name);
  const send: Alert[] = [];
  const held: HeldAlert[] = [];

  for (const alert of input.alerts) {
    const hold = holdFor(alert, input, active);
    if (hold) held.push({ alert, ...hold });
    else send.push(alert);
  }

  // A window that ended since the last run: one catch-up of what is still wrong with its pods.
  const ended = input.windows.filter(
    (w) => input.previouslyActive.includes(w.name) && !activeNames.includes(w.name),
  );
  if (ended.length > 0) {
    const alerted = new Set(send.filter((a) => a.pod).map((a) => podKey(a.pod as PodRef)));
    for (const pod of input.pods) {
      const key = podKey(pod);
      if (alerted.has(key) || !ended.some((w) => windowCoversPod(w, pod))) continue;
      const state = input.states.get(key);
      const catchUp = state ? catchUpAlert(pod, state, input.observations?.get(key), now) : undefined;
      if (!catchUp) continue;
      const hold = holdFor(catchUp, input, active);
      if (hold) held.push({ alert: catchUp, ...hold });
      else send.push(catchUp);
    }
    // Run-wide problems are covered only by windows over all pods.
    if (input.run && ended.some((w) => w.pods === undefined)) {
      for (const catchUp of runCatchUps(input.run, send, now)) {
        const hold = holdFor(catchUp, input, active);
        if (hold) held.push({ alert: catchUp, ...hold });
        else send.push(catchUp);
      }
    }
  }
  return { send, held, activeWindows: activeNames };
}

function holdFor(
  alert: Alert,
  input: PolicyInput,
  active: readonly MaintenanceWindow[],
): { reason: HoldReason; by: string } | undefined {
  const pod = alert.pod;
  if (pod) {
    // A recovery ends a silence: telling people the problem they acknowledged is over is useful.
    if (alert.type !== 'recovered') {
      const state = input.states.get(podKey(pod));
      const silence = silenceFor(input.silences, pod, input.now, state?.lastRecoveredAt);
      if (silence) return { reason: 'silence', by: silence.id };
    }
  }
  for (const window of active) {
    // A window over some pods holds only their alerts; run-wide alerts only by a window over all pods.
    const covers = pod ? windowCoversPod(window, pod) : window.pods === undefined;
    if (!covers) continue;
    if (window.allowCritical && alert.severity === 'critical') continue;
    return { reason: 'maintenance', by: window.name };
  }
  return undefined;
}

function runCatchUps(run: RunState, send: readonly Alert[], now: Date): Alert[] {
  const at = now.toISOString();
  const runWide = send.filter((a) => !a.pod);
  const out: Alert[] = [];
  if (run.authFailed && !runWide.some((a) => a.type === 'auth-failed')) {
    out.push({
      type: 'auth-failed',
      severity: 'critical',
      reminder: true,
      catchUp: true,
      error: run.authFailed.detail,
      since: run.authFailed.since,
      at,
    });
  }
  if (run.keyFailed && !runWide.some((a) => a.type === 'check-failed')) {
    out.push({
      type: 'check-failed',
      severity: 'critical',
      reminder: true,
      catchUp: true,
      error: run.keyFailed.detail,
      since: run.keyFailed.since,
      at,
    });
  }
  return out;
}

function catchUpAlert(pod: PodRef, state: PodState, info: PodInfo | undefined, now: Date): Alert | undefined {
  const at = now.toISOString();
  const details = info ? { info, restartsAfter: info.restartCount } : {};
  if (state.notRunning) {
    return {
      type: 'not-running',
      severity: notRunningSeverity(state.notRunning.detail),
      reminder: true,
      catchUp: true,
      pod,
      status: state.notRunning.detail,
      since: state.notRunning.since,
      at,
      ...details,
    };
  }
  if (state.checkFailed) {
    return {
      type: 'check-failed',
      severity: 'warning',
      reminder: true,
      catchUp: true,
      pod,
      error: state.checkFailed.detail,
      since: state.checkFailed.since,
      at,
      ...details,
    };
  }
  return undefined;
}
