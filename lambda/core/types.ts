/** Domain types of the pure core. Nothing here knows about AWS, HTTP or files. */
import type { Severity } from '../config/config';
import type { Silence } from './silences';

export type { Severity };

/** What `GET /v1/training/instance/{taskId}/{podName}/basic` returns in `data` (all fields checked). */
export interface PodInfo {
  clusterName: string;
  hostName: string;
  namespace: string;
  hostIp: string;
  /** Pod phase (`Running`, `Pending`, `Succeeded`, `Failed`, `Unknown`) or a container state. */
  status: string;
  podIp: string;
  restartCount: number;
  qosClass: string;
  createBy: string;
  /** `YYYY-MM-DD HH:mm:ss`, zone not documented: compared as text, never parsed. */
  createTime: string;
}

export interface PodRef {
  taskId: string;
  podName: string;
  /** Display label from the config. */
  name?: string;
}

/**
 * Why a check failed. `auth` is the key being rejected (HTTP 401/403 or body status 401/403/40xxx):
 * the core turns it into one run-wide `auth-failed` alert instead of per-pod `check-failed`.
 */
export type CheckErrorKind =
  | 'auth'
  | 'not-found'
  | 'http'
  | 'api-status'
  | 'network'
  | 'timeout'
  | 'not-json'
  | 'invalid-response'
  | 'too-large'
  | 'deadline';

export interface CheckError {
  kind: CheckErrorKind;
  /** Human-readable, never contains the API key. */
  message: string;
  httpStatus?: number;
  apiStatus?: number;
  /** How many HTTP attempts were made. */
  attempts?: number;
}

export type CheckOutcome =
  | { ok: true; pod: PodInfo; latencyMs?: number; attempts?: number }
  | { ok: false; error: CheckError; latencyMs?: number };

export type AlertType =
  | 'not-running'
  | 'finished'
  | 'restarted'
  | 'recreated'
  | 'check-failed'
  | 'auth-failed'
  | 'recovered';

export const ALERT_TYPES: readonly AlertType[] = [
  'not-running',
  'finished',
  'restarted',
  'recreated',
  'check-failed',
  'auth-failed',
  'recovered',
];

export type Health = 'ok' | 'not-running' | 'finished' | 'check-failed';

/** A problem that has been alerted and not yet recovered. Times are ISO-8601 strings. */
export interface OpenProblem {
  /** When the condition started (first failing observation), for "still Pending for 2h13m". */
  since: string;
  /** When it was last notified (first alert or reminder). */
  lastNotifiedAt: string;
  /** `not-running`: the status alerted; `check-failed`: the error alerted. */
  detail: string;
}

/** Per-pod memory between runs. Written only when it changes, so a steady pod costs no writes. */
export interface PodState {
  taskId: string;
  podName: string;
  /** Optimistic-concurrency version: 0 = never stored. */
  version: number;
  /** The pod instance last seen; its restartCount is the restart baseline. */
  baseline?: { createTime: string; restartCount: number; hostName: string };
  lastStatus?: string;
  /** Consecutive not-Running observations, capped at the threshold (so it stops changing). */
  notRunningStreak: number;
  notRunningSince?: string;
  /** Consecutive failed checks, capped at the threshold. */
  checkFailStreak: number;
  checkFailingSince?: string;
  /** Succeeded was announced: no further alerts while it stays finished or disappears. */
  finished: boolean;
  /** When the pod last recovered (or finished): a silence created before that has ended. */
  lastRecoveredAt?: string;
  notRunning?: OpenProblem;
  checkFailed?: OpenProblem;
}

/** Run-wide memory: problems that are not about one pod. */
export interface RunState {
  version: number;
  /** The API rejected the key. */
  authFailed?: OpenProblem;
  /** The key could not be read (consecutive runs, capped at the check-failure threshold). */
  keyFailStreak: number;
  keyFailingSince?: string;
  keyFailed?: OpenProblem;
  /** When this deployment first ran: the first digest comes at the next scheduled time after it. */
  firstSeenAt?: string;
  lastDigestAt?: string;
  /** Maintenance windows active at the last run: when one ends, a catch-up notification follows. */
  activeWindows?: string[];
  /** Per chat channel, alerts whose delivery failed, sent again by the next run. */
  pendingChat?: Record<string, Alert[]>;
}

/** Silences (acknowledgements) live in their own item so the CLI can change them while runs go on. */
export interface SilenceSet {
  version: number;
  silences: Silence[];
}

export interface StoredState {
  pods: Map<string, PodState>;
  run: RunState;
  silences: SilenceSet;
}

export interface Alert {
  type: AlertType;
  severity: Severity;
  /** A reminder of a problem already notified. */
  reminder: boolean;
  /** Absent for run-wide alerts (auth-failed, key problems). */
  pod?: PodRef;
  status?: string;
  previousStatus?: string;
  restartsBefore?: number;
  restartsAfter?: number;
  /** The observation of this run, when there is one: host, IPs, namespace, QoS... */
  info?: PodInfo;
  previousHostName?: string;
  /** For `recreated`: the createTime of the instance it replaced. */
  previousCreateTime?: string;
  /** For reminders and recoveries: when the problem started. */
  since?: string;
  error?: string;
  /** For `recovered`: which problem ended. */
  recoveredFrom?: 'not-running' | 'check-failed' | 'auth-failed';
  /** For `auth-failed`: how many pods the key was rejected for. */
  podsAffected?: number;
  /** When the alert was raised (the run's clock). */
  at: string;
  /** A reminder sent because a maintenance window ended while the problem was still open. */
  catchUp?: boolean;
}

/** One grouped message per run, rendered for every channel. */
export interface Notification {
  subject: string;
  /** Plain-text body for email and the terminal. */
  email: string;
  /** Fits one SMS (140 bytes). */
  sms: string;
  /** Short fallback (SNS `default`). */
  text: string;
  /** The daily digest is part of this notification. */
  digest?: boolean;
  severity: Severity;
  types: AlertType[];
  alerts: Alert[];
}

export interface PodReport {
  pod: PodRef;
  health: Health;
  status?: string;
  restartCount?: number;
  hostName?: string;
  error?: string;
  errorKind?: CheckErrorKind;
  latencyMs?: number;
}
