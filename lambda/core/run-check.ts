/**
 * One check run: the whole pipeline every deployment shares (Lambda and CLI alike).
 *
 * Order matters for "no alert is ever lost": state is read first (without it we cannot know what
 * was already said), the notification is delivered next, and only then is the new state committed.
 * If delivery fails, state stays as it was and the next run decides the same alerts again.
 */
import type { PodWatchConfig } from '../config/config';
import { podKey } from '../config/config';
import { mapWithConcurrency } from './concurrency';
import { renderRunNotification } from './digest';
import { isDigestDue } from './digest-schedule';
import { KeySourceError, NotifyError, PodWatchError } from './errors';
import { renderNotification } from './messages';
import { applyNotificationPolicy, type HeldAlert } from './notification-policy';
import type {
  ChatChannel,
  ChatChannels,
  Clock,
  KeySource,
  Notifier,
  PodApi,
  StateChange,
  StateStore,
} from './ports';
import { RUN_STATE_KEY } from './ports';
import { evaluatePod, evaluateRun, type RuleSettings, sameState } from './rules';
import type {
  Alert,
  CheckOutcome,
  Health,
  Notification,
  PodInfo,
  PodRef,
  PodReport,
  PodState,
  RunState,
  Severity,
  StoredState,
} from './types';

/** Structured logging without tying the core to a logging library. Fields must never hold the key. */
export interface RunLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: RunLogger = { debug() {}, info() {}, warn() {} };

export interface RunDeps {
  keySource: KeySource;
  podApi: PodApi;
  stateStore: StateStore;
  notifier: Notifier;
  clock: Clock;
  logger?: RunLogger;
  /** Chat webhooks; used only when the config names some. */
  chat?: ChatChannels;
}

/**
 * Time all chat channels together may take after the primary notification (a channel not done by
 * then keeps its alerts for the next run; it may still deliver them, so a rare duplicate is possible).
 * The Lambda timeout and the handler's wrap-up time leave room for it.
 */
export const CHAT_BUDGET_MS = 15_000;

/** Alerts kept per chat channel while its deliveries fail: the newest are kept, the oldest dropped. */
export const MAX_PENDING_CHAT_ALERTS = 50;

export interface RunOptions {
  /** Identifies this run as the lease owner (a Lambda request id, a CLI process id). */
  runId: string;
  /** How long the lease may live if this run dies without releasing it. */
  leaseTtlMs: number;
  /** Aborts checks still in flight when the run must wrap up (Lambda remaining time). */
  signal?: AbortSignal;
  /** Overrides CHAT_BUDGET_MS (tests). */
  chatBudgetMs?: number;
}

export interface RunStats {
  podsChecked: number;
  byHealth: Record<Health, number>;
  restartsObserved: number;
  alertsSent: number;
  stateWrites: number;
  durationMs: number;
  apiLatencyMs: { count: number; max: number; mean: number };
}

export type RunResult =
  | { status: 'skipped'; reason: string; checkedAt: string }
  | {
      status: 'completed';
      checkedAt: string;
      pods: PodReport[];
      /** What this run notified (the primary channel). */
      alerts: Alert[];
      /** Alerts held back by a silence or a maintenance window. */
      held: HeldAlert[];
      notification?: Notification;
      /** Chat channels whose delivery failed this run (their alerts wait for the next run). */
      chatFailures: { channel: string; error: string }[];
      /** Set when the API key could not be read, so no pod was checked. */
      keyError?: string;
      stats: RunStats;
    };

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export function ruleSettings(config: PodWatchConfig): RuleSettings {
  const { failureThreshold, checkFailureThreshold, reminderMinutes, sendRecovered } = config.alerts;
  return { failureThreshold, checkFailureThreshold, reminderMinutes, sendRecovered };
}

export async function runCheck(
  config: PodWatchConfig,
  deps: RunDeps,
  options: RunOptions,
): Promise<RunResult> {
  const log = deps.logger ?? silentLogger;
  const started = Date.now();
  const now = deps.clock.now();
  const checkedAt = now.toISOString();

  if (!(await deps.stateStore.acquireLease(options.runId, options.leaseTtlMs))) {
    log.warn('another run holds the lease; skipping this run', { runId: options.runId });
    return { status: 'skipped', reason: 'another run is in progress', checkedAt };
  }
  try {
    const pods: PodRef[] = config.pods.map((p) => ({ ...p }));
    const stored = await deps.stateStore.load(pods.map(podKey));

    let apiKey: string | undefined;
    let keyError: string | undefined;
    try {
      apiKey = await deps.keySource.getKey();
    } catch (err) {
      if (!(err instanceof KeySourceError)) throw err;
      keyError = err.message;
      log.warn('the API key could not be read; no pod is checked this run', { error: err.message });
    }
    const outcomes =
      apiKey === undefined ? undefined : await checkPods(config, deps, pods, apiKey, options, log);

    const decided = decide(config, pods, stored, outcomes, keyError, now);
    const { nextRun, changes, reports } = decided;

    const policy = applyNotificationPolicy({
      alerts: decided.alerts,
      pods,
      states: decided.states,
      observations: decided.observations,
      silences: stored.silences.silences,
      windows: config.maintenanceWindows,
      previouslyActive: stored.run.activeWindows ?? [],
      run: nextRun,
      now,
    });
    if (policy.activeWindows.length > 0) nextRun.activeWindows = policy.activeWindows;
    else delete nextRun.activeWindows;
    for (const h of policy.held) {
      log.info('alert held', {
        type: h.alert.type,
        podName: h.alert.pod?.podName,
        reason: h.reason,
        by: h.by,
      });
    }
    const sent = policy.send;

    const digestDue =
      config.digest !== undefined &&
      isDigestDue(config.digest, stored.run.lastDigestAt, nextRun.firstSeenAt ?? checkedAt, now);
    if (digestDue) nextRun.lastDigestAt = checkedAt;

    // Deliver first, commit after: a notification that fails leaves state as it was, so the next
    // run decides and sends the same alerts again.
    const notification = renderRunNotification(sent, digestDue ? reports : undefined, config.alerts.language);
    if (notification) {
      try {
        await deps.notifier.send(notification);
      } catch (err) {
        if (err instanceof NotifyError) throw err;
        throw new NotifyError(`the notification could not be delivered: ${errorText(err)}`, { cause: err });
      }
      log.info('notification sent', {
        alerts: sent.length,
        digest: digestDue,
        severity: notification.severity,
      });
    }
    const chatFailures = await deliverToChat(
      config,
      deps,
      sent,
      nextRun,
      log,
      options.chatBudgetMs ?? CHAT_BUDGET_MS,
    );

    if (!sameState(stored.run, nextRun)) {
      changes.push({ key: RUN_STATE_KEY, expectedVersion: stored.run.version, state: nextRun });
    }
    // Called even with no change: the DynamoDB store also refreshes the TTL of items near expiry
    // there, so a quiet deployment's state does not expire under it.
    await deps.stateStore.commit(changes);

    return {
      status: 'completed',
      checkedAt,
      pods: reports,
      alerts: sent,
      held: policy.held,
      ...(notification ? { notification } : {}),
      chatFailures,
      ...(keyError !== undefined ? { keyError } : {}),
      stats: runStats(reports, sent, changes.length, Date.now() - started),
    };
  } finally {
    try {
      await deps.stateStore.releaseLease(options.runId);
    } catch (err) {
      // The lease expires by itself; a failed release only delays the next run, it loses nothing.
      log.warn('could not release the run lease', { error: errorText(err) });
    }
  }
}

interface Decision {
  /** Every alert the rules raised this run, worst first, then in config order. */
  alerts: Alert[];
  reports: PodReport[];
  /** Pod states after this run, by podKey (unchanged ones included). */
  states: Map<string, PodState>;
  observations: Map<string, PodInfo>;
  /** The changed pod states to commit (the run state is added once the run is over). */
  changes: StateChange[];
  nextRun: RunState;
}

/** Applies the alert rules to every pod and to the run as a whole. Pure. */
function decide(
  config: PodWatchConfig,
  pods: readonly PodRef[],
  stored: StoredState,
  outcomes: CheckOutcome[] | undefined,
  keyError: string | undefined,
  now: Date,
): Decision {
  const settings = ruleSettings(config);
  const alerts: Alert[] = [];
  const reports: PodReport[] = [];
  const changes: StateChange[] = [];
  const states = new Map<string, PodState>(stored.pods);
  const observations = new Map<string, PodInfo>();
  pods.forEach((pod, i) => {
    const key = podKey(pod);
    const outcome = outcomes?.[i];
    if (outcome === undefined) {
      // Not checked at all (the key could not be read): what we knew of the pod stays as it was.
      reports.push({ pod, health: 'check-failed', error: `not checked: ${keyError}` });
      return;
    }
    const previous = stored.pods.get(key);
    const evaluation = evaluatePod(pod, previous, outcome, now, settings);
    reports.push(evaluation.report);
    states.set(key, evaluation.state);
    if (outcome.ok) observations.set(key, outcome.pod);
    alerts.push(...evaluation.alerts);
    if (evaluation.changed)
      changes.push({ key, expectedVersion: previous?.version ?? 0, state: evaluation.state });
  });

  const rejected = (outcomes ?? []).flatMap((o) => (!o.ok && o.error.kind === 'auth' ? [o.error] : []));
  const run = evaluateRun(
    stored.run,
    {
      ...(keyError !== undefined ? { keyError } : {}),
      authRejected: rejected.length,
      ...(rejected[0] ? { authError: rejected[0].message } : {}),
      keyAccepted: outcomes?.filter((o) => o.ok || apiAnswered(o)).length ?? 0,
    },
    now,
    settings,
  );
  alerts.push(...run.alerts);
  const nextRun = run.state;
  nextRun.firstSeenAt ??= now.toISOString();

  const order = new Map(pods.map((p, i) => [podKey(p), i]));
  const position = (a: Alert) => (a.pod ? (order.get(podKey(a.pod)) ?? 0) : -1);
  alerts.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || position(a) - position(b));
  return { alerts, reports, states, observations, changes, nextRun };
}

/**
 * Sends this run's alerts, plus any a channel missed before, to each configured chat channel. A
 * failure keeps that channel's alerts in the run state for the next run, without resending what
 * the other channels already delivered. Never throws: the primary notification already went out.
 */
async function deliverToChat(
  config: PodWatchConfig,
  deps: RunDeps,
  sent: Alert[],
  nextRun: RunState,
  log: RunLogger,
  chatBudgetMs: number,
): Promise<{ channel: string; error: string }[]> {
  const failures: { channel: string; error: string }[] = [];
  const pending: Record<string, Alert[]> = {};
  const work = config.webhooks
    .map((w) => ({ name: w.name, alerts: [...(nextRun.pendingChat?.[w.name] ?? []), ...sent] }))
    .filter((w) => w.alerts.length > 0);
  if (work.length > 0) {
    let channels: ChatChannel[] | undefined;
    let listError = 'chat webhooks are not available in this deployment';
    if (deps.chat) {
      try {
        channels = await deps.chat.list();
      } catch (err) {
        listError = `cannot read the webhook credentials: ${errorText(err)}`;
      }
    }
    // In parallel and within one shared time budget: a hanging webhook must not push the run past
    // its Lambda timeout (which would kill it after Publish and before the commit, so that every
    // following run would send the same email again).
    const outcomes = await Promise.allSettled(
      work.map((w) => {
        const channel = channels?.find((c) => c.name === w.name);
        if (!channel) {
          return Promise.reject(new Error(channels ? `no credentials for webhook "${w.name}"` : listError));
        }
        // Through a promise chain so that a channel throwing synchronously is a failure like any other.
        const send = Promise.resolve().then(() =>
          channel.send(renderNotification(w.alerts, { language: config.alerts.language }), {
            language: config.alerts.language,
          }),
        );
        return withTimeout(send, chatBudgetMs, `no answer within ${chatBudgetMs / 1000} s`);
      }),
    );
    outcomes.forEach((outcome, i) => {
      const w = work[i];
      if (!w || outcome.status === 'fulfilled') return;
      const error = errorText(outcome.reason);
      failures.push({ channel: w.name, error });
      pending[w.name] = w.alerts.slice(-MAX_PENDING_CHAT_ALERTS);
      log.warn('chat delivery failed; the alerts wait for the next run', {
        channel: w.name,
        alerts: w.alerts.length,
        error,
      });
    });
  }
  // Forget channels that were removed from the config: nobody would ever receive their backlog.
  if (Object.keys(pending).length > 0) nextRun.pendingChat = pending;
  else delete nextRun.pendingChat;
  return failures;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Checks every pod, then retries the key-rejected ones once with a freshly read key. */
async function checkPods(
  config: PodWatchConfig,
  deps: RunDeps,
  pods: PodRef[],
  apiKey: string,
  options: RunOptions,
  log: RunLogger,
): Promise<CheckOutcome[]> {
  const checkOne = (pod: PodRef, key: string): Promise<CheckOutcome> => {
    if (options.signal?.aborted) return Promise.resolve(deadlineOutcome());
    return deps.podApi.getPodBasic(pod, key, options.signal);
  };
  const outcomes = await mapWithConcurrency(pods, config.concurrency, (pod) => checkOne(pod, apiKey));
  const rejected = outcomes.flatMap((o, i) => (!o.ok && o.error.kind === 'auth' ? [i] : []));
  if (rejected.length === 0) return outcomes;

  let fresh: string | undefined;
  try {
    fresh = await deps.keySource.getKey({ forceRefresh: true });
  } catch (err) {
    log.warn('could not re-read the API key after a rejection', { error: errorText(err) });
  }
  if (fresh === undefined || fresh === apiKey) return outcomes;
  log.info('the API rejected the key; retrying with the freshly read key', { pods: rejected.length });
  const retried = await mapWithConcurrency(rejected, config.concurrency, (i) =>
    checkOne(pods[i] as PodRef, fresh as string),
  );
  rejected.forEach((podIndex, j) => {
    outcomes[podIndex] = retried[j] as CheckOutcome;
  });
  return outcomes;
}

function deadlineOutcome(): CheckOutcome {
  return {
    ok: false,
    error: { kind: 'deadline', message: 'not checked: the run reached its time limit before this pod' },
  };
}

/** The API itself answered (with the key accepted): evidence that the key works. */
function apiAnswered(o: CheckOutcome): boolean {
  return (
    !o.ok &&
    (o.error.kind === 'not-found' || o.error.kind === 'api-status' || o.error.kind === 'invalid-response')
  );
}

function runStats(reports: PodReport[], alerts: Alert[], stateWrites: number, durationMs: number): RunStats {
  const byHealth: Record<Health, number> = { ok: 0, 'not-running': 0, finished: 0, 'check-failed': 0 };
  const latencies: number[] = [];
  for (const r of reports) {
    byHealth[r.health] += 1;
    if (r.latencyMs !== undefined) latencies.push(r.latencyMs);
  }
  const restartsObserved = alerts
    .filter((a) => a.type === 'restarted')
    .reduce((sum, a) => sum + ((a.restartsAfter ?? 0) - (a.restartsBefore ?? 0)), 0);
  return {
    podsChecked: reports.length,
    byHealth,
    restartsObserved,
    alertsSent: alerts.length,
    stateWrites,
    durationMs,
    apiLatencyMs: {
      count: latencies.length,
      max: latencies.length ? Math.max(...latencies) : 0,
      mean: latencies.length ? latencies.reduce((s, x) => s + x, 0) / latencies.length : 0,
    },
  };
}

export function errorText(err: unknown): string {
  if (err instanceof PodWatchError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
