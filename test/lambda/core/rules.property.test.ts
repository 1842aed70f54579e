/**
 * Property tests of the alert rules, driven through the REAL runCheck with the in-memory fakes.
 *
 * A scenario is a long random history (1–60 runs) of 1–4 pods: per run and pod an observation
 * (phase, restartCount up/down/equal, a new instance sometimes on a new host, a non-auth check
 * failure, or "same as last run" so that streaks and thresholds are reached), sometimes the key
 * rejected for the whole run, sometimes the notification failing, sometimes the committed run
 * replayed at the same clock time, with clock steps of 1 minute to 10 hours and random settings.
 * Each property replays the history and checks one invariant against a small model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PodWatchConfig, parseConfig, podKey } from '../../../lambda/config/config';
import { NotifyError } from '../../../lambda/core/errors';
import type { StateChange } from '../../../lambda/core/ports';
import { evaluatePod, type RuleSettings } from '../../../lambda/core/rules';
import { type RunDeps, runCheck } from '../../../lambda/core/run-check';
import type {
  Alert,
  CheckOutcome,
  Notification,
  PodInfo,
  PodRef,
  PodState,
  RunState,
} from '../../../lambda/core/types';
import {
  FakeClock,
  FakeKeySource,
  FakePodApi,
  MemoryStateStore,
  podInfo,
  RecordingNotifier,
  TASK,
} from '../../support/fakes';

// ---------------------------------------------------------------------------------------------
// Scenario generation
// ---------------------------------------------------------------------------------------------

type FailKind = 'timeout' | 'network' | 'http' | 'not-found';
type ObsSpec =
  | { t: 'repeat' }
  | { t: 'fail'; kind: FailKind }
  | {
      t: 'ok';
      status: string;
      restart: 'same' | 'up' | 'down';
      by: number;
      newInstance: boolean;
      newHost: boolean;
    };

interface RunSpec {
  stepMinutes: number;
  keyRejected: boolean;
  notifyFails: boolean;
  replayAfter: boolean;
  pods: ObsSpec[];
}

interface Scenario {
  settings: RuleSettings;
  /** Steady pods are always Running with the same instance and restartCount (the spec is ignored). */
  steady: boolean[];
  runs: RunSpec[];
}

/** True one time in `oneIn`; shrinks towards false. */
const rarely = (oneIn: number) => fc.integer({ min: 1, max: oneIn }).map((x) => x === oneIn);

const arbStatus = fc.oneof(
  { weight: 5, arbitrary: fc.constant('Running') },
  { weight: 4, arbitrary: fc.constantFrom('Pending', 'Failed', 'Succeeded', 'Unknown', 'CrashLoopBackOff') },
);

const arbObs: fc.Arbitrary<ObsSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<ObsSpec>({ t: 'repeat' }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('ok' as const),
      status: arbStatus,
      restart: fc.constantFrom('same' as const, 'same' as const, 'up' as const, 'down' as const),
      by: fc.integer({ min: 1, max: 3 }),
      newInstance: rarely(6),
      newHost: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('fail' as const),
      kind: fc.constantFrom<FailKind>('timeout', 'network', 'http', 'not-found'),
    }),
  },
);

const arbSettings: fc.Arbitrary<RuleSettings> = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 3 }),
  checkFailureThreshold: fc.integer({ min: 1, max: 3 }),
  reminderMinutes: fc.constantFrom(0, 5, 60, 240),
  sendRecovered: fc.boolean(),
});

function arbScenario(opts: { steady: 'none' | 'some'; maxRuns?: number }): fc.Arbitrary<Scenario> {
  return fc.integer({ min: 1, max: 4 }).chain((podCount) =>
    fc.record({
      settings: arbSettings,
      steady:
        opts.steady === 'none'
          ? fc.constant(Array.from({ length: podCount }, () => false))
          : // pod 0 is always steady so the property is never vacuous
            fc
              .array(fc.boolean(), { minLength: podCount - 1, maxLength: podCount - 1 })
              .map((rest) => [true, ...rest]),
      runs: fc.array(
        fc.record({
          stepMinutes: fc.oneof(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 1, max: 600 })),
          keyRejected: rarely(10),
          notifyFails: rarely(6),
          replayAfter: rarely(6),
          pods: fc.array(arbObs, { minLength: podCount, maxLength: podCount }),
        }),
        { minLength: 1, maxLength: opts.maxRuns ?? 60, size: 'max' },
      ),
    }),
  );
}

const POD_NAMES = ['p0', 'p1', 'p2', 'p3'] as const;
const AUTH_REJECTED: CheckOutcome = {
  ok: false,
  error: { kind: 'auth', message: 'the API rejected the key (HTTP 401, body status 40401)' },
};

/** Turns the specs into the concrete outcome of every pod in every run. */
function materialize(scn: Scenario): CheckOutcome[][] {
  const podCount = scn.steady.length;
  const current: PodInfo[] = Array.from({ length: podCount }, (_, i) =>
    podInfo({ restartCount: i, createTime: '2026-11-20 08:00:00', hostName: `gpu-node-${i}` }),
  );
  const last: (CheckOutcome | undefined)[] = Array.from({ length: podCount }, () => undefined);
  const instances = Array.from({ length: podCount }, () => 0);
  const hosts = Array.from({ length: podCount }, () => 0);
  return scn.runs.map((run) =>
    run.pods.map((spec, i): CheckOutcome => {
      const steadyInfo = current[i] as PodInfo;
      if (scn.steady[i]) return { ok: true, pod: { ...steadyInfo, status: 'Running' } };
      let outcome: CheckOutcome;
      if (spec.t === 'repeat') {
        outcome = last[i] ?? { ok: true, pod: { ...steadyInfo } };
      } else if (spec.t === 'fail') {
        outcome = { ok: false, error: { kind: spec.kind, message: `${spec.kind}: the check failed` } };
      } else {
        const info: PodInfo = { ...(current[i] as PodInfo), status: spec.status };
        if (spec.newInstance) {
          instances[i] = (instances[i] ?? 0) + 1;
          info.createTime = `2026-11-${String(21 + Math.floor((instances[i] ?? 0) / 60)).padStart(2, '0')} 09:${String((instances[i] ?? 0) % 60).padStart(2, '0')}:00`;
          if (spec.newHost) {
            hosts[i] = (hosts[i] ?? 0) + 1;
            info.hostName = `gpu-node-${i}-${hosts[i]}`;
          }
        }
        if (spec.restart === 'up') info.restartCount += spec.by;
        if (spec.restart === 'down') info.restartCount = Math.max(0, info.restartCount - spec.by);
        current[i] = info;
        outcome = { ok: true, pod: info };
      }
      last[i] = outcome;
      return structuredClone(outcome);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Driving the real runCheck
// ---------------------------------------------------------------------------------------------

/** Records every notification it was asked to deliver, delivered or not. */
class AttemptRecordingNotifier extends RecordingNotifier {
  attempts: Notification[] = [];
  override async send(notification: Notification): Promise<void> {
    this.attempts.push(notification);
    return super.send(notification);
  }
}

interface StoreSnapshot {
  pods: Map<string, PodState>;
  run: RunState;
}

/** One runCheck whose state was committed (or that had nothing to commit). */
interface Exec {
  kind: 'normal' | 'retry-after-failed-notify' | 'replay-after-commit';
  at: string;
  keyRejected: boolean;
  /** What the API answered, per pod (the auth rejection when the key was rejected). */
  outcomes: CheckOutcome[];
  alerts: Alert[];
  notification?: Notification;
  /** Notifications delivered by this run. */
  sent: number;
  /** Notifications the run tried to deliver. */
  attempted: number;
  /** The state changes committed by this run ([] when nothing was written). */
  changes: StateChange[];
  /** Commits the store received during this run. */
  commits: number;
}

interface FailedNotify {
  at: string;
  attempted: Notification[];
  error: unknown;
  storeBefore: StoreSnapshot;
  storeAfter: StoreSnapshot;
  commitsBefore: number;
  commitsAfter: number;
  /** The run that re-ran the same observations at the same time. */
  retry: Exec;
}

interface Replay {
  original: Exec;
  replay: Exec;
}

interface Trace {
  config: PodWatchConfig;
  pods: PodRef[];
  execs: Exec[];
  failures: FailedNotify[];
  replays: Replay[];
  store: MemoryStateStore;
  notifier: AttemptRecordingNotifier;
}

function configFor(scn: Scenario): PodWatchConfig {
  return parseConfig({
    pods: scn.steady.map((_, i) => ({ taskId: TASK, podName: POD_NAMES[i] })),
    alerts: { ...scn.settings },
  });
}

async function simulate(scn: Scenario): Promise<Trace> {
  const config = configFor(scn);
  const pods: PodRef[] = config.pods.map((p) => ({ ...p }));
  const clock = new FakeClock();
  const api = new FakePodApi();
  const store = new MemoryStateStore(() => clock.now().getTime());
  const notifier = new AttemptRecordingNotifier();
  const deps: RunDeps = {
    keySource: new FakeKeySource('key-1'),
    podApi: api,
    stateStore: store,
    notifier,
    clock,
  };
  const outcomes = materialize(scn);
  const trace: Trace = { config, pods, execs: [], failures: [], replays: [], store, notifier };
  let n = 0;

  const snapshot = (): StoreSnapshot => structuredClone({ pods: store.pods, run: store.run });

  const exec = async (
    kind: Exec['kind'],
    keyRejected: boolean,
    runOutcomes: CheckOutcome[],
  ): Promise<Exec> => {
    const sentBefore = notifier.sent.length;
    const attemptsBefore = notifier.attempts.length;
    const commitsBefore = store.commits.length;
    const result = await runCheck(config, deps, { runId: `run-${++n}`, leaseTtlMs: 60_000 });
    if (result.status !== 'completed') throw new Error(`run ${n} was skipped: ${result.reason}`);
    const commits = store.commits.length - commitsBefore;
    const e: Exec = {
      kind,
      at: result.checkedAt,
      keyRejected,
      outcomes: keyRejected ? runOutcomes.map(() => AUTH_REJECTED) : runOutcomes,
      alerts: result.alerts,
      sent: notifier.sent.length - sentBefore,
      attempted: notifier.attempts.length - attemptsBefore,
      changes: commits > 0 ? (store.commits.at(-1) ?? []) : [],
      commits,
    };
    if (result.notification) e.notification = result.notification;
    trace.execs.push(e);
    return e;
  };

  for (const [r, run] of scn.runs.entries()) {
    if (r > 0) clock.advanceMinutes(run.stepMinutes);
    const runOutcomes = outcomes[r] as CheckOutcome[];
    runOutcomes.forEach((o, i) => {
      api.set(POD_NAMES[i] as string, structuredClone(o));
    });
    api.validKeys = run.keyRejected ? new Set(['some-other-key']) : undefined;

    let committed: Exec;
    if (run.notifyFails) {
      const storeBefore = snapshot();
      const commitsBefore = store.commits.length;
      const attemptsBefore = notifier.attempts.length;
      notifier.failNext = 1;
      let error: unknown;
      let completed: Exec | undefined;
      try {
        completed = await exec('normal', run.keyRejected, runOutcomes);
      } catch (err) {
        error = err;
      }
      notifier.failNext = 0;
      if (completed) {
        // Nothing to notify: the notifier was never called, the run committed normally.
        committed = completed;
      } else {
        const failure: Omit<FailedNotify, 'retry'> = {
          at: clock.now().toISOString(),
          attempted: notifier.attempts.slice(attemptsBefore),
          error,
          storeBefore,
          storeAfter: snapshot(),
          commitsBefore,
          commitsAfter: store.commits.length,
        };
        // Same observations, same clock time.
        committed = await exec('retry-after-failed-notify', run.keyRejected, runOutcomes);
        trace.failures.push({ ...failure, retry: committed });
      }
    } else {
      committed = await exec('normal', run.keyRejected, runOutcomes);
    }

    if (run.replayAfter) {
      const replay = await exec('replay-after-commit', run.keyRejected, runOutcomes);
      trace.replays.push({ original: committed, replay });
    }
  }
  return trace;
}

const forPod = (alerts: readonly Alert[], name: string) => alerts.filter((a) => a.pod?.podName === name);
const keyOf = (name: string) => podKey({ taskId: TASK, podName: name });
const isAuth = (o: CheckOutcome) => !o.ok && o.error.kind === 'auth';
/** The API answered with the key accepted (run-check's keyAccepted). */
const keyAccepted = (o: CheckOutcome) =>
  o.ok ||
  o.error.kind === 'not-found' ||
  o.error.kind === 'api-status' ||
  o.error.kind === 'invalid-response';

/** Pure model of "the restart baseline": the last successful observation of the pod. */
interface Baseline {
  createTime: string;
  restartCount: number;
  status: string;
}

/** What restarted/recreated alerts an observation must raise, given the last successful one. */
function expectedInstanceAlerts(base: Baseline | undefined, o: CheckOutcome) {
  if (!o.ok || base === undefined) return { restarted: [], recreated: [] };
  const stillFinished = base.status === 'Succeeded' && o.pod.status === 'Succeeded';
  if (stillFinished) return { restarted: [], recreated: [] };
  const before = base.restartCount;
  const after = o.pod.restartCount;
  if (o.pod.createTime !== base.createTime || after < before) {
    return { restarted: [], recreated: [{ restartsBefore: before, restartsAfter: after }] };
  }
  if (after > before) return { restarted: [{ restartsBefore: before, restartsAfter: after }], recreated: [] };
  return { restarted: [], recreated: [] };
}

const NUM_RUNS = 200;

describe('alert rules: properties over random histories (runCheck + fakes)', () => {
  it('1. each restartCount increase on the same instance yields exactly one restarted alert with the right before/after', async () => {
    await fc.assert(
      fc.asyncProperty(arbScenario({ steady: 'none' }), async (scn) => {
        const trace = await simulate(scn);
        const baselines = new Map<string, Baseline>();
        for (const e of trace.execs) {
          e.outcomes.forEach((o, i) => {
            const name = POD_NAMES[i] as string;
            const alerts = forPod(e.alerts, name);
            const expected = expectedInstanceAlerts(baselines.get(name), o);
            const pick = (type: Alert['type']) =>
              alerts
                .filter((a) => a.type === type)
                .map((a) => ({ restartsBefore: a.restartsBefore, restartsAfter: a.restartsAfter }));
            expect(pick('restarted'), `${e.at} ${name} restarted`).toEqual(expected.restarted);
            expect(pick('recreated'), `${e.at} ${name} recreated`).toEqual(expected.recreated);
            // The baseline is the last SUCCESSFUL observation: failures in between keep it.
            if (o.ok) {
              baselines.set(name, {
                createTime: o.pod.createTime,
                restartCount: o.pod.restartCount,
                status: o.pod.status,
              });
            }
          });
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('1b. evaluatePod alone: restarted/recreated follow the last successful observation', () => {
    const ref: PodRef = { taskId: TASK, podName: 'p0' };
    fc.assert(
      fc.property(
        arbSettings,
        fc.array(arbObs, { minLength: 1, maxLength: 80, size: 'max' }),
        (settings, specs) => {
          const outcomes = materialize({
            settings,
            steady: [false],
            runs: specs.map((s) => ({
              stepMinutes: 5,
              keyRejected: false,
              notifyFails: false,
              replayAfter: false,
              pods: [s],
            })),
          }).map((run) => run[0] as CheckOutcome);
          let state: PodState | undefined;
          let base: Baseline | undefined;
          let now = Date.parse('2026-11-28T00:00:00.000Z');
          for (const o of outcomes) {
            const r = evaluatePod(ref, state, o, new Date(now), settings);
            const expected = expectedInstanceAlerts(base, o);
            expect(r.alerts.filter((a) => a.type === 'restarted').length).toBe(expected.restarted.length);
            expect(r.alerts.filter((a) => a.type === 'recreated').length).toBe(expected.recreated.length);
            if (o.ok) {
              base = { createTime: o.pod.createTime, restartCount: o.pod.restartCount, status: o.pod.status };
              expect(r.state.baseline).toEqual({
                createTime: o.pod.createTime,
                restartCount: o.pod.restartCount,
                hostName: o.pod.hostName,
              });
            }
            if (r.changed) state = { ...r.state, version: (state?.version ?? 0) + 1 };
            now += 5 * 60_000;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('2. a pod always Running with a steady restartCount never alerts', async () => {
    await fc.assert(
      fc.asyncProperty(arbScenario({ steady: 'some' }), async (scn) => {
        const trace = await simulate(scn);
        const attempted = trace.notifier.attempts.flatMap((n) => n.alerts);
        scn.steady.forEach((steady, i) => {
          if (!steady) return;
          const name = POD_NAMES[i] as string;
          expect(forPod(attempted, name)).toEqual([]);
          for (const e of trace.execs) expect(forPod(e.alerts, name)).toEqual([]);
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('3. every recovered follows an open problem of the same pod; every opened problem is open in state or was closed', async () => {
    await fc.assert(
      fc.asyncProperty(arbScenario({ steady: 'none' }), async (scn) => {
        const trace = await simulate(scn);
        const { sendRecovered } = scn.settings;
        // The problems the user was told about and not (yet) told are over.
        const openNR = new Map<string, boolean>();
        const openCF = new Map<string, boolean>();
        let openAuth = false;
        for (const e of trace.execs) {
          e.outcomes.forEach((o, i) => {
            const name = POD_NAMES[i] as string;
            const alerts = forPod(e.alerts, name);
            const nr = openNR.get(name) ?? false;
            const cf = openCF.get(name) ?? false;
            const healthy = o.ok && o.pod.status === 'Running';
            // One recovered per pod: not-running takes precedence and closes a check-failed with it.
            const expectedRecovered =
              healthy && sendRecovered && (nr || cf) ? [nr ? 'not-running' : 'check-failed'] : [];
            expect(
              alerts.filter((a) => a.type === 'recovered').map((a) => a.recoveredFrom),
              `${e.at} ${name}: recovered (open not-running=${nr}, check-failed=${cf}, observed ${o.ok ? o.pod.status : o.error.kind})`,
            ).toEqual(expectedRecovered);

            let nextNR = nr;
            let nextCF = cf;
            if (o.ok && (o.pod.status === 'Running' || o.pod.status === 'Succeeded')) {
              // Recovered (checked above), closed silently (sendRecovered false) or finished.
              nextNR = false;
              nextCF = false;
            }
            if (alerts.some((a) => a.type === 'not-running')) nextNR = true;
            // A pod that answers while a not-running problem is open: that problem now covers it.
            if (o.ok && nextNR) nextCF = false;
            if (alerts.some((a) => a.type === 'check-failed')) nextCF = true;
            openNR.set(name, nextNR);
            openCF.set(name, nextCF);
          });

          const runWide = e.alerts.filter((a) => a.pod === undefined);
          const accepted = !e.keyRejected && e.outcomes.some(keyAccepted);
          expect(
            runWide.filter((a) => a.type === 'recovered').map((a) => a.recoveredFrom),
            `${e.at}: run-wide recovered`,
          ).toEqual(openAuth && accepted && sendRecovered ? ['auth-failed'] : []);
          if (accepted) openAuth = false;
          if (runWide.some((a) => a.type === 'auth-failed')) openAuth = true;
        }

        for (const name of POD_NAMES.slice(0, scn.steady.length)) {
          const state = trace.store.pods.get(keyOf(name));
          expect(
            { notRunning: state?.notRunning !== undefined, checkFailed: state?.checkFailed !== undefined },
            `end state of ${name}`,
          ).toEqual({ notRunning: openNR.get(name) ?? false, checkFailed: openCF.get(name) ?? false });
        }
        expect(trace.store.run.authFailed !== undefined, 'end run state').toBe(openAuth);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('4. at most one notification per run; a key-rejected run has no per-pod alerts, one auth-failed at most', async () => {
    await fc.assert(
      fc.asyncProperty(arbScenario({ steady: 'none' }), async (scn) => {
        const trace = await simulate(scn);
        for (const e of trace.execs) {
          expect(e.attempted).toBeLessThanOrEqual(1);
          expect(e.sent).toBe(e.alerts.length > 0 ? 1 : 0);
          expect(e.commits).toBeLessThanOrEqual(1);
          if (e.notification) expect(e.notification.alerts).toHaveLength(e.alerts.length);
          if (e.keyRejected) {
            expect(e.alerts.filter((a) => a.pod !== undefined)).toEqual([]);
            for (const a of e.alerts) expect(['auth-failed', 'recovered']).toContain(a.type);
            const auth = e.alerts.filter((a) => a.type === 'auth-failed');
            expect(auth.length).toBeLessThanOrEqual(1);
            for (const a of auth) expect(a.podsAffected).toBe(scn.steady.length);
            // Nothing about any pod changes when the key is rejected.
            expect(e.changes.filter((c) => c.key !== '#run')).toEqual([]);
          }
        }
        for (const f of trace.failures) expect(f.attempted).toHaveLength(1);
        expect(trace.notifier.sent).toHaveLength(trace.execs.filter((e) => e.alerts.length > 0).length);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('5. replay: a failed notification changes nothing and the retry decides the same; a committed run replayed sends nothing twice', async () => {
    await fc.assert(
      fc.asyncProperty(arbScenario({ steady: 'none' }), async (scn) => {
        const trace = await simulate(scn);
        for (const f of trace.failures) {
          expect(f.error).toBeInstanceOf(NotifyError);
          expect(f.commitsAfter).toBe(f.commitsBefore);
          expect(f.storeAfter).toEqual(f.storeBefore);
          expect(f.retry.at).toBe(f.at);
          // (the notification holds the alerts in its own display order)
          expect(f.retry.notification?.alerts).toEqual(f.attempted[0]?.alerts);
          expect(f.retry.notification).toEqual(f.attempted[0]);
        }
        for (const { original, replay } of trace.replays) {
          expect(replay.at).toBe(original.at);
          // Same observations at the same time: nothing already said is said again, no reminder is
          // due (no time passed), nothing recovers, restarts or finishes again. Only a streak may
          // reach its threshold, since the replay is one more consecutive observation.
          for (const a of replay.alerts) {
            expect(original.alerts).not.toContainEqual(a);
            expect(a.reminder).toBe(false);
            expect(['not-running', 'check-failed']).toContain(a.type);
            expect(a.pod).toBeDefined();
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('6. zero state writes in a steady state', async () => {
    await fc.assert(
      fc.asyncProperty(arbScenario({ steady: 'some' }), async (scn) => {
        const trace = await simulate(scn);
        // (a) a pod seen Running with the same instance and count as its last state-affecting
        // observation is not rewritten.
        const last = new Map<string, CheckOutcome>();
        for (const e of trace.execs) {
          e.outcomes.forEach((o, i) => {
            if (isAuth(o)) return; // a rejected key leaves the pod's state alone
            const name = POD_NAMES[i] as string;
            const prev = last.get(name);
            if (o.ok && o.pod.status === 'Running' && prev?.ok && prev.pod.status === 'Running') {
              if (JSON.stringify(prev.pod) === JSON.stringify(o.pod)) {
                expect(
                  e.changes.map((c) => c.key),
                  `${e.at}: ${name} rewritten in a steady state`,
                ).not.toContain(keyOf(name));
              }
            }
            last.set(name, o);
          });
        }
        // (b) a steady pod is written once, on first sight, and never again.
        scn.steady.forEach((steady, i) => {
          if (!steady) return;
          const key = keyOf(POD_NAMES[i] as string);
          const writes = trace.store.commits.filter((c) => c.some((x) => x.key === key)).length;
          const everChecked = trace.execs.some((e) => !e.keyRejected);
          expect(writes, `writes of steady ${key}`).toBe(everChecked ? 1 : 0);
        });
        // (c) all pods steady and the key never rejected: one commit in total, nothing sent.
        if (scn.steady.every(Boolean) && scn.runs.every((r) => !r.keyRejected)) {
          expect(trace.store.commits).toHaveLength(1);
          expect(trace.notifier.attempts).toEqual([]);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
