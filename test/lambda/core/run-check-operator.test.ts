/**
 * The operator features through the real runCheck and the port fakes, over several runs:
 * maintenance windows with their catch-up, silences, the daily digest and chat channels.
 */
import { describe, expect, it } from 'vitest';
import { type PodWatchConfigInput, parseConfig, podKey } from '../../../lambda/config/config';
import { NotifyError } from '../../../lambda/core/errors';
import type { ChatChannel, ChatChannels } from '../../../lambda/core/ports';
import {
  MAX_PENDING_CHAT_ALERTS,
  type RunDeps,
  type RunResult,
  runCheck,
} from '../../../lambda/core/run-check';
import { newSilence } from '../../../lambda/core/silences';
import type { Alert, CheckOutcome, Notification } from '../../../lambda/core/types';
import {
  FakeClock,
  FakeKeySource,
  FakePodApi,
  MemoryStateStore,
  podInfo,
  RecordingNotifier,
  TASK,
} from '../../support/fakes';

type Completed = Extract<RunResult, { status: 'completed' }>;

const PODS = [
  { taskId: TASK, podName: 'a', name: 'alpha' },
  { taskId: TASK, podName: 'b' },
  { taskId: TASK, podName: 'c' },
  { taskId: TASK, podName: 'd' },
];

const HTTP_502: CheckOutcome = {
  ok: false,
  error: { kind: 'http', message: 'HTTP 502 from the API', httpStatus: 502 },
};

function harness(
  input: Omit<PodWatchConfigInput, 'pods'> & { pods?: PodWatchConfigInput['pods'] },
  chat?: ChatChannels,
) {
  const config = parseConfig({ pods: PODS, ...input });
  const clock = new FakeClock();
  const api = new FakePodApi();
  for (const p of config.pods) api.set(p.podName, podInfo());
  const store = new MemoryStateStore(() => clock.now().getTime());
  const notifier = new RecordingNotifier();
  const deps: RunDeps = {
    keySource: new FakeKeySource('key-1'),
    podApi: api,
    stateStore: store,
    notifier,
    clock,
    ...(chat ? { chat } : {}),
  };
  let n = 0;
  /** One run at the clock's time; the clock is not moved. */
  const run = async (): Promise<Completed> => {
    const r = await runCheck(config, deps, { runId: `run-${++n}`, leaseTtlMs: 60_000 });
    if (r.status !== 'completed') throw new Error('run skipped');
    return r;
  };
  /** Moves the clock, then runs. */
  const runAfter = async (minutes: number): Promise<Completed> => {
    clock.advanceMinutes(minutes);
    return run();
  };
  const runAt = async (iso: string): Promise<Completed> => {
    clock.current = new Date(iso);
    return run();
  };
  return { config, clock, api, store, notifier, deps, run, runAfter, runAt };
}

const who = (alerts: readonly Alert[]) =>
  alerts.map((a) => `${a.type}${a.reminder ? '(reminder)' : ''}:${a.pod?.podName ?? '(run)'}`);
const state = (store: MemoryStateStore, podName: string) => store.pods.get(podKey({ taskId: TASK, podName }));

describe('maintenance window over several runs', () => {
  it('holds everything during the window while checks go on, then sends ONE catch-up of what is still wrong', async () => {
    // 08:10-08:40 Shanghai = 00:10Z-00:40Z; the fake clock starts at 00:00Z, runs every 5 minutes.
    const h = harness({
      alerts: { checkFailureThreshold: 2 },
      maintenanceWindows: [
        {
          name: 'upgrade',
          timezone: 'Asia/Shanghai',
          oneOff: { start: '2026-11-28T08:10', end: '2026-11-28T08:40' },
        },
      ],
    });
    await h.run(); // 00:00 baselines
    expect((await h.runAfter(5)).alerts).toEqual([]); // 00:05

    // 00:10 the window opens: a Failed, b Pending, c restarts, d cannot be checked.
    h.api
      .set('a', podInfo({ status: 'Failed' }))
      .set('b', podInfo({ status: 'Pending' }))
      .set('c', podInfo({ restartCount: 2 }))
      .set('d', HTTP_502);
    const opened = await h.runAfter(5);
    expect(opened.alerts).toEqual([]);
    expect(opened.notification).toBeUndefined();
    expect(opened.held.map((x) => `${x.alert.type}:${x.alert.pod?.podName}:${x.reason}:${x.by}`)).toEqual([
      'not-running:a:maintenance:upgrade',
      'not-running:b:maintenance:upgrade',
      'restarted:c:maintenance:upgrade',
    ]);
    expect(opened.pods.map((p) => p.health)).toEqual(['not-running', 'not-running', 'ok', 'check-failed']);
    expect(h.store.run.activeWindows).toEqual(['upgrade']);

    // 00:15 b recovers, d's failure reaches the threshold; 00:20 c restarts again.
    h.api.set('b', podInfo());
    const mid = await h.runAfter(5);
    expect(mid.held.map((x) => `${x.alert.type}:${x.alert.pod?.podName}`)).toEqual([
      'check-failed:d',
      'recovered:b',
    ]);
    h.api.set('c', podInfo({ restartCount: 3 }));
    expect((await h.runAfter(5)).held.map((x) => x.alert.type)).toEqual(['restarted']);
    for (let i = 0; i < 3; i++) expect((await h.runAfter(5)).alerts).toEqual([]); // 00:25-00:35

    expect(h.notifier.sent).toEqual([]);
    // Checks and state went on during the window.
    expect(h.api.calls).toHaveLength(8 * 4);
    expect(state(h.store, 'a')?.notRunning?.detail).toBe('Failed');
    expect(state(h.store, 'b')?.notRunning).toBeUndefined();
    expect(state(h.store, 'b')?.lastRecoveredAt).toBe('2026-11-28T00:15:00.000Z');
    expect(state(h.store, 'c')?.baseline?.restartCount).toBe(3);
    expect(state(h.store, 'd')?.checkFailed?.detail).toBe('HTTP 502 from the API');

    // 00:40 the first run after the window: one notification, what is still wrong, nothing about b or c.
    const after = await h.runAfter(5);
    expect(h.notifier.sent).toHaveLength(1);
    expect(after.held).toEqual([]);
    expect(who(after.alerts)).toEqual(['not-running(reminder):a', 'check-failed(reminder):d']);
    expect(after.alerts.every((a) => a.catchUp === true)).toBe(true);
    expect(after.alerts[0]).toMatchObject({
      severity: 'critical',
      status: 'Failed',
      since: '2026-11-28T00:10:00.000Z',
    });
    expect(after.alerts[1]).toMatchObject({ severity: 'warning', since: '2026-11-28T00:10:00.000Z' });
    const sent = h.notifier.sent[0] as Notification;
    expect(sent.alerts).toEqual(after.alerts);
    expect(sent.severity).toBe('critical');
    expect(sent.email).toContain('alpha');
    expect(sent.email).toContain('alpha still Failed for 30m');
    expect(sent.email).toContain('d still cannot be checked after 30m');
    expect(sent.email).not.toMatch(/Pod: +[bc]\b|restarted|recovered/);
    expect(h.store.run.activeWindows).toBeUndefined();

    // No second catch-up on the next run.
    expect((await h.runAfter(5)).alerts).toEqual([]);
    expect(h.notifier.sent).toHaveLength(1);
  });

  it('the catch-up also lists a run-wide problem still open: a key rejected during an all-pod window', async () => {
    // README: "When a window ends, one catch-up notification lists what is still wrong".
    const h = harness({
      pods: PODS.slice(0, 2),
      maintenanceWindows: [
        {
          name: 'upgrade',
          timezone: 'Asia/Shanghai',
          oneOff: { start: '2026-11-28T08:10', end: '2026-11-28T08:40' },
        },
      ],
    });
    h.api.validKeys = new Set(['key-1']);
    await h.run(); // 00:00
    h.api.validKeys = new Set(['a-newer-key']); // the key is revoked at 00:10, inside the window
    const during = await h.runAfter(10);
    expect(during.held.map((x) => [x.alert.type, x.reason])).toEqual([['auth-failed', 'maintenance']]);
    for (let i = 0; i < 5; i++) await h.runAfter(5); // 00:15-00:35
    expect(h.notifier.sent).toEqual([]);

    const after = await h.runAfter(5); // 00:40: the window is over and the key is still rejected
    expect(after.pods.every((p) => p.health === 'check-failed')).toBe(true);
    expect(after.alerts.map((a) => a.type)).toEqual(['auth-failed']);
    expect(h.notifier.sent).toHaveLength(1);
  });

  it('sends nothing at all after a window during which everything recovered', async () => {
    const h = harness({
      maintenanceWindows: [
        { name: 'nightly', timezone: 'UTC', recurring: { cron: '5 0 * * *', durationMinutes: 15 } },
      ],
    });
    await h.run(); // 00:00
    h.api.set('a', podInfo({ status: 'Failed' }));
    expect((await h.runAfter(5)).held).toHaveLength(1); // 00:05, in the window
    h.api.set('a', podInfo());
    expect((await h.runAfter(5)).held.map((x) => x.alert.type)).toEqual(['recovered']); // 00:10
    expect((await h.runAfter(10)).alerts).toEqual([]); // 00:20, window over
    expect(h.notifier.sent).toEqual([]);
    expect(h.store.run.activeWindows).toBeUndefined();
  });
});

describe('silences stored in the state store', () => {
  it('hold a pod’s alerts until it recovers; a later failure alerts again before the silence expires', async () => {
    const h = harness({});
    const ack = newSilence({
      taskId: TASK,
      podName: 'a',
      forMs: 24 * 60 * 60_000,
      reason: 'node under repair',
      now: h.clock.now(),
      id: 'ack-a',
    });
    h.store.silences = { version: 1, silences: [ack] };
    await h.run();

    h.api.set('a', podInfo({ status: 'Failed' })).set('b', podInfo({ restartCount: 1 }));
    const failed = await h.runAfter(5);
    expect(who(failed.alerts)).toEqual(['restarted:b']);
    expect(failed.held.map((x) => [x.alert.type, x.alert.pod?.podName, x.reason, x.by])).toEqual([
      ['not-running', 'a', 'silence', 'ack-a'],
    ]);
    expect(h.notifier.sent).toHaveLength(1);
    expect(h.notifier.sent[0]?.alerts.map((a) => a.pod?.podName)).toEqual(['b']);
    expect(failed.pods[0]?.health).toBe('not-running');

    h.api.set('a', podInfo({ status: 'Unknown' }));
    const changed = await h.runAfter(5);
    expect(changed.alerts).toEqual([]);
    expect(changed.held.map((x) => x.alert.status)).toEqual(['Unknown']);

    h.api.set('a', podInfo());
    const recovered = await h.runAfter(5);
    expect(who(recovered.alerts)).toEqual(['recovered:a']);
    expect(state(h.store, 'a')?.lastRecoveredAt).toBe(h.clock.now().toISOString());

    h.api.set('a', podInfo({ status: 'Failed' }));
    const again = await h.runAfter(5);
    expect(h.clock.now().getTime()).toBeLessThan(Date.parse(ack.expiresAt));
    expect(who(again.alerts)).toEqual(['not-running:a']);
    expect(again.held).toEqual([]);
    expect(h.notifier.sent).toHaveLength(3);
    // The run never rewrites the silences (the CLI owns them).
    expect(h.store.silences).toEqual({ version: 1, silences: [ack] });
  });

  it('a task-wide silence ends only for the pod that recovered', async () => {
    const h = harness({});
    await h.run();
    h.store.silences = {
      version: 1,
      silences: [
        newSilence({
          taskId: TASK,
          forMs: 60 * 60_000,
          reason: 'rolling restart',
          now: h.clock.now(),
          id: 'task',
        }),
      ],
    };
    h.api.set('a', podInfo({ status: 'Failed' })).set('b', podInfo({ status: 'Failed' }));
    expect((await h.runAfter(5)).held.map((x) => x.alert.pod?.podName)).toEqual(['a', 'b']);
    h.api.set('a', podInfo());
    expect(who((await h.runAfter(5)).alerts)).toEqual(['recovered:a']);
    h.api.set('a', podInfo({ status: 'Failed' })).set('b', podInfo({ status: 'Unknown' }));
    const r = await h.runAfter(5);
    expect(who(r.alerts)).toEqual(['not-running:a']);
    expect(r.held.map((x) => [x.alert.pod?.podName, x.by])).toEqual([['b', 'task']]);
  });

  it('a silence added during an open problem holds its reminders, and expiry lets the next one through', async () => {
    const h = harness({ alerts: { reminderMinutes: 30 } });
    await h.run();
    h.api.set('a', podInfo({ status: 'Failed' }));
    expect(who((await h.runAfter(5)).alerts)).toEqual(['not-running:a']);
    h.store.silences = {
      version: 1,
      silences: [
        newSilence({
          taskId: TASK,
          podName: 'a',
          forMs: 45 * 60_000,
          reason: 'ack',
          now: h.clock.now(),
          id: 'ack',
        }),
      ],
    };
    const reminder = await h.runAfter(30);
    expect(reminder.alerts).toEqual([]);
    expect(reminder.held.map((x) => [x.alert.type, x.alert.reminder, x.reason])).toEqual([
      ['not-running', true, 'silence'],
    ]);
    const expired = await h.runAfter(30); // 60 minutes after the silence was set: expired
    expect(who(expired.alerts)).toEqual(['not-running(reminder):a']);
    expect(h.notifier.sent).toHaveLength(2);
  });
});

describe('daily digest', () => {
  // 09:00 Shanghai = 01:00Z; the fake clock starts at 00:00Z = 08:00 local.
  const digestConfig = {
    pods: PODS.slice(0, 3),
    alerts: { checkFailureThreshold: 100 },
    digest: { at: '09:00', timezone: 'Asia/Shanghai' },
  };

  it('is not sent on the first run after deploy, then once a day at the first run at/after 09:00 local', async () => {
    const h = harness(digestConfig);
    h.api.set('c', HTTP_502);
    expect((await h.runAt('2026-11-28T00:00:00Z')).notification).toBeUndefined();
    expect(h.store.run.firstSeenAt).toBe('2026-11-28T00:00:00.000Z');
    expect((await h.runAt('2026-11-28T00:55:00Z')).notification).toBeUndefined();
    expect(h.notifier.sent).toEqual([]);

    const due = await h.runAt('2026-11-28T01:02:00Z');
    expect(h.notifier.sent).toHaveLength(1);
    const digest = h.notifier.sent[0] as Notification;
    expect(due.notification).toEqual(digest);
    expect(due.alerts).toEqual([]);
    expect(digest.digest).toBe(true);
    expect(digest.severity).toBe('info');
    expect(digest.alerts).toEqual([]);
    expect(digest.subject).toContain('Daily digest: 3 pod(s), 2 ok, 1 cannot be checked');
    expect(digest.email).toContain('- alpha: ok, status Running, restarts 0, host gpu-node-021');
    expect(digest.email).toContain('- b: ok');
    expect(digest.email).toContain('- c: cannot be checked');
    expect(digest.email).toContain('HTTP 502 from the API');
    expect(h.store.run.lastDigestAt).toBe('2026-11-28T01:02:00.000Z');

    // Not again the same day, nor the next morning before 09:00.
    for (const t of [
      '2026-11-28T01:07:00Z',
      '2026-11-28T09:00:00Z',
      '2026-11-28T15:59:00Z',
      '2026-11-29T00:59:00Z',
    ]) {
      expect((await h.runAt(t)).notification).toBeUndefined();
    }
    expect(h.notifier.sent).toHaveLength(1);

    // Next day, at exactly 09:00 local, with an alert: one notification carrying both.
    h.api.set('a', podInfo({ status: 'Failed' }));
    const merged = await h.runAt('2026-11-29T01:00:00Z');
    expect(h.notifier.sent).toHaveLength(2);
    const both = h.notifier.sent[1] as Notification;
    expect(both.digest).toBe(true);
    expect(both.severity).toBe('critical');
    expect(who(both.alerts)).toEqual(['not-running:a']);
    expect(merged.alerts).toEqual(both.alerts);
    expect(both.email).toContain('[CRITICAL] alpha (ca78d6b9…) is Failed');
    expect(both.email).toContain('Daily digest: 3 pod(s), 1 ok, 1 not running, 1 cannot be checked');
    expect(both.email.indexOf('is Failed')).toBeLessThan(both.email.indexOf('Daily digest'));
    expect(h.store.run.lastDigestAt).toBe('2026-11-29T01:00:00.000Z');

    expect((await h.runAt('2026-11-29T01:05:00Z')).notification).toBeUndefined();
    expect(h.notifier.sent).toHaveLength(2);
  });

  it('a deployment first run after 09:00 waits for the next day', async () => {
    const h = harness(digestConfig);
    await h.runAt('2026-11-28T01:30:00Z'); // 09:30 local
    await h.runAt('2026-11-28T01:35:00Z');
    await h.runAt('2026-11-29T00:59:00Z');
    expect(h.notifier.sent).toEqual([]);
    await h.runAt('2026-11-29T01:00:00Z');
    expect(h.notifier.sent.map((n) => n.digest)).toEqual([true]);
  });

  it('a failed digest delivery is retried by the next run', async () => {
    const h = harness(digestConfig);
    await h.runAt('2026-11-28T00:00:00Z');
    h.notifier.failNext = 1;
    await expect(h.runAt('2026-11-28T01:00:00Z')).rejects.toBeInstanceOf(NotifyError);
    expect(h.store.run.lastDigestAt).toBeUndefined();
    await h.runAt('2026-11-28T01:05:00Z');
    expect(h.notifier.sent.map((n) => n.digest)).toEqual([true]);
  });
});

class FakeChannel implements ChatChannel {
  received: Notification[] = [];
  failWith: Error | undefined;
  constructor(readonly name: string) {}
  async send(notification: Notification, _options: { language: 'en' | 'zh' }): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.received.push(notification);
  }
  /** Every alert this channel ever received, in order. */
  get alerts(): string[] {
    return this.received.flatMap((n) => who(n.alerts));
  }
}

describe('chat channels', () => {
  const webhooks = [
    { name: 'ops', type: 'slack' as const },
    { name: 'dev', type: 'dingtalk' as const },
  ];

  function chatHarness(extraWebhooks: { name: string; type: 'feishu' }[] = []) {
    const ops = new FakeChannel('ops');
    const dev = new FakeChannel('dev');
    const chat = { channels: [ops, dev] as ChatChannel[], listError: undefined as Error | undefined };
    const source: ChatChannels = {
      list: async () => {
        if (chat.listError) throw chat.listError;
        return chat.channels;
      },
    };
    const h = harness({ pods: PODS.slice(0, 3), webhooks: [...webhooks, ...extraWebhooks] }, source);
    return { ...h, ops, dev, chat };
  }

  it('keeps a failing channel’s alerts and sends them with the next alerts once it works; never twice elsewhere', async () => {
    const h = chatHarness();
    await h.run();
    expect(h.ops.received).toEqual([]);

    h.dev.failWith = new Error('HTTP 500 from the robot');
    h.api.set('a', podInfo({ status: 'Failed' }));
    const r2 = await h.runAfter(5);
    expect(h.notifier.sent).toHaveLength(1);
    expect(h.ops.alerts).toEqual(['not-running:a']);
    expect(h.dev.received).toEqual([]);
    expect(r2.chatFailures).toEqual([
      { channel: 'dev', error: expect.stringContaining('HTTP 500 from the robot') },
    ]);
    expect(Object.keys(h.store.run.pendingChat ?? {})).toEqual(['dev']);
    expect(who(h.store.run.pendingChat?.dev ?? [])).toEqual(['not-running:a']);

    h.api.set('b', podInfo({ restartCount: 1 }));
    const r3 = await h.runAfter(5);
    expect(r3.chatFailures.map((f) => f.channel)).toEqual(['dev']);
    expect(who(h.store.run.pendingChat?.dev ?? [])).toEqual(['not-running:a', 'restarted:b']);
    expect(h.ops.alerts).toEqual(['not-running:a', 'restarted:b']);

    // A run without alerts still retries the backlog.
    h.dev.failWith = undefined;
    h.api.set('c', podInfo({ restartCount: 1 }));
    const r4 = await h.runAfter(5);
    expect(r4.chatFailures).toEqual([]);
    expect(h.dev.received).toHaveLength(1);
    expect(h.dev.alerts).toEqual(['not-running:a', 'restarted:b', 'restarted:c']);
    expect(h.ops.alerts).toEqual(['not-running:a', 'restarted:b', 'restarted:c']);
    expect(h.store.run.pendingChat).toBeUndefined();
    // The primary notifier got every alert exactly once, without the backlog.
    expect(h.notifier.sent.flatMap((n) => who(n.alerts))).toEqual([
      'not-running:a',
      'restarted:b',
      'restarted:c',
    ]);
    expect(r4.alerts.map((a) => a.pod?.podName)).toEqual(['c']);

    await h.runAfter(5);
    expect(h.ops.received).toHaveLength(3);
    expect(h.dev.received).toHaveLength(1);
  });

  it('delivers a backlog on a run without new alerts', async () => {
    const h = chatHarness();
    await h.run();
    h.dev.failWith = new Error('timeout');
    h.api.set('a', podInfo({ status: 'Failed' }));
    await h.runAfter(5);
    h.dev.failWith = undefined;
    const quiet = await h.runAfter(5);
    expect(quiet.alerts).toEqual([]);
    expect(quiet.notification).toBeUndefined();
    expect(h.dev.alerts).toEqual(['not-running:a']);
    expect(h.ops.alerts).toEqual(['not-running:a']);
    expect(h.store.run.pendingChat).toBeUndefined();
  });

  it('keeps the alerts of a channel missing from list(), naming it', async () => {
    const h = chatHarness([{ name: 'pager', type: 'feishu' }]);
    await h.run();
    h.api.set('a', podInfo({ status: 'Failed' }));
    const r = await h.runAfter(5);
    expect(r.chatFailures).toEqual([{ channel: 'pager', error: expect.stringContaining('"pager"') }]);
    expect(who(h.store.run.pendingChat?.pager ?? [])).toEqual(['not-running:a']);
    expect(h.ops.alerts).toEqual(['not-running:a']);
    expect(h.dev.alerts).toEqual(['not-running:a']);
  });

  it('keeps every channel’s alerts when the credentials cannot be read, and delivers them later', async () => {
    const h = chatHarness();
    await h.run();
    h.chat.listError = new Error('secret not found');
    h.api.set('a', podInfo({ status: 'Failed' }));
    const r = await h.runAfter(5);
    expect(r.status).toBe('completed');
    expect(h.notifier.sent).toHaveLength(1);
    expect(r.chatFailures.map((f) => f.channel)).toEqual(['ops', 'dev']);
    expect(r.chatFailures.every((f) => f.error.includes('secret not found'))).toBe(true);
    expect(Object.keys(h.store.run.pendingChat ?? {}).sort()).toEqual(['dev', 'ops']);
    h.chat.listError = undefined;
    await h.runAfter(5);
    expect(h.ops.alerts).toEqual(['not-running:a']);
    expect(h.dev.alerts).toEqual(['not-running:a']);
    expect(h.store.run.pendingChat).toBeUndefined();
  });

  it('keeps the alerts when the deployment has no chat at all', async () => {
    const config = parseConfig({ pods: PODS.slice(0, 1), webhooks });
    const clock = new FakeClock();
    const store = new MemoryStateStore(() => clock.now().getTime());
    const deps: RunDeps = {
      keySource: new FakeKeySource(),
      podApi: new FakePodApi().set('a', podInfo({ status: 'Failed' })),
      stateStore: store,
      notifier: new RecordingNotifier(),
      clock,
    };
    const r = await runCheck(config, deps, { runId: 'r', leaseTtlMs: 60_000 });
    if (r.status !== 'completed') throw new Error('skipped');
    expect(r.alerts).toHaveLength(1);
    expect(r.chatFailures.map((f) => f.channel)).toEqual(['ops', 'dev']);
    expect(Object.keys(store.run.pendingChat ?? {}).sort()).toEqual(['dev', 'ops']);
  });

  it('caps a channel’s backlog at MAX_PENDING_CHAT_ALERTS, keeping the newest', async () => {
    const h = chatHarness();
    await h.run();
    const old = Array.from(
      { length: MAX_PENDING_CHAT_ALERTS - 1 },
      (_, i): Alert => ({
        type: 'restarted',
        severity: 'warning',
        reminder: false,
        pod: { taskId: TASK, podName: 'b' },
        restartsBefore: i,
        restartsAfter: i + 1,
        at: new Date(Date.UTC(2026, 10, 27, 0, i)).toISOString(),
      }),
    );
    h.store.run = { ...h.store.run, pendingChat: { dev: old } };
    h.dev.failWith = new Error('still down');
    h.api
      .set('a', podInfo({ status: 'Failed' }))
      .set('b', podInfo({ restartCount: 1 }))
      .set('c', podInfo({ restartCount: 1 }));
    await h.runAfter(5);
    const pending = h.store.run.pendingChat?.dev ?? [];
    expect(pending).toHaveLength(MAX_PENDING_CHAT_ALERTS);
    expect(pending.slice(0, MAX_PENDING_CHAT_ALERTS - 3)).toEqual(old.slice(2));
    expect(who(pending.slice(-3))).toEqual(['not-running:a', 'restarted:b', 'restarted:c']);
    expect(h.ops.alerts).toEqual(['not-running:a', 'restarted:b', 'restarted:c']);

    h.dev.failWith = undefined;
    await h.runAfter(5);
    expect(h.dev.received).toHaveLength(1);
    expect(h.dev.received[0]?.alerts).toHaveLength(MAX_PENDING_CHAT_ALERTS);
    expect(h.store.run.pendingChat).toBeUndefined();
  });

  it('a failing primary notifier means no chat delivery and no state change; the retry delivers everything once', async () => {
    const h = chatHarness();
    await h.run();
    h.dev.failWith = new Error('down');
    h.api.set('a', podInfo({ status: 'Failed' }));
    await h.runAfter(5);
    h.dev.failWith = undefined;

    const before = structuredClone({ run: h.store.run, pods: [...h.store.pods] });
    const commits = h.store.commits.length;
    h.notifier.failNext = 1;
    h.api.set('b', podInfo({ restartCount: 1 }));
    h.clock.advanceMinutes(5);
    await expect(h.run()).rejects.toBeInstanceOf(NotifyError);
    expect(h.store.commits).toHaveLength(commits);
    expect({ run: h.store.run, pods: [...h.store.pods] }).toEqual(before);
    expect(h.ops.alerts).toEqual(['not-running:a']);
    expect(h.dev.received).toEqual([]);

    await h.runAfter(5);
    expect(h.notifier.sent.flatMap((n) => who(n.alerts))).toEqual(['not-running:a', 'restarted:b']);
    expect(h.ops.alerts).toEqual(['not-running:a', 'restarted:b']);
    expect(h.dev.alerts).toEqual(['not-running:a', 'restarted:b']);
    expect(h.store.run.pendingChat).toBeUndefined();
  });

  it('never makes the run throw, whatever a channel throws', async () => {
    const h = chatHarness();
    const weird: ChatChannel = {
      name: 'dev',
      send: () => {
        throw new TypeError('synchronous bug');
      },
    };
    const strange: ChatChannel = {
      name: 'ops',
      send: () => Promise.reject('a bare string'),
    };
    h.chat.channels = [strange, weird];
    await h.run();
    h.api.set('a', podInfo({ status: 'Failed' }));
    const r = await h.runAfter(5);
    expect(r.status).toBe('completed');
    expect(h.notifier.sent).toHaveLength(1);
    expect(r.chatFailures).toEqual([
      { channel: 'ops', error: 'a bare string' },
      { channel: 'dev', error: expect.stringContaining('synchronous bug') },
    ]);
    expect(Object.keys(h.store.run.pendingChat ?? {}).sort()).toEqual(['dev', 'ops']);
    expect(state(h.store, 'a')?.notRunning?.detail).toBe('Failed');
  });
});

describe('chat delivery time budget', () => {
  it('gives up on a hanging channel after the budget, keeps its alerts, and still commits', async () => {
    const { parseConfig } = await import('../../../lambda/config/config');
    const { runCheck } = await import('../../../lambda/core/run-check');
    const { FakeClock, FakeKeySource, FakePodApi, MemoryStateStore, RecordingNotifier, podInfo, TASK } =
      await import('../../support/fakes');
    const config = parseConfig({
      pods: [{ taskId: TASK, podName: 'a' }],
      webhooks: [
        { name: 'hangs', type: 'slack' },
        { name: 'works', type: 'slack' },
      ],
    });
    const delivered: string[] = [];
    const store = new MemoryStateStore();
    const deps = {
      keySource: new FakeKeySource(),
      podApi: new FakePodApi().set('a', podInfo({ status: 'Failed' })),
      stateStore: store,
      notifier: new RecordingNotifier(),
      clock: new FakeClock(),
      chat: {
        list: async () => [
          { name: 'hangs', send: () => new Promise<void>(() => {}) },
          {
            name: 'works',
            send: async () => {
              delivered.push('works');
            },
          },
        ],
      },
    };
    const started = Date.now();
    const result = await runCheck(config, deps, { runId: 'r', leaseTtlMs: 60_000, chatBudgetMs: 50 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.status === 'completed' && result.chatFailures).toEqual([
      { channel: 'hangs', error: 'Error: no answer within 0.05 s' },
    ]);
    expect(delivered).toEqual(['works']);
    expect(store.run.pendingChat?.hangs?.map((a) => a.type)).toEqual(['not-running']);
    expect(store.run.pendingChat?.works).toBeUndefined();
  });
});
