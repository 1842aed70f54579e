import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambda/config/config';
import { StateReadError } from '../../lambda/core/errors';
import { makeScheduledHandler, type RunMetrics, type StructuredLogger } from '../../lambda/scheduled-run';
import {
  FakeClock,
  FakeKeySource,
  FakePodApi,
  MemoryStateStore,
  podInfo,
  RecordingNotifier,
  TASK,
} from '../support/fakes';

function setup(perPod: boolean) {
  const config = parseConfig({
    pods: [
      { taskId: TASK, podName: 'a' },
      { taskId: TASK, podName: 'b' },
    ],
    metrics: { perPod },
  });
  const api = new FakePodApi().set('a', podInfo()).set('b', podInfo({ restartCount: 1 }));
  const store = new MemoryStateStore();
  const recorded: { name: string; value: number; dims?: Record<string, string> }[] = [];
  let published = 0;
  const metrics: RunMetrics = {
    addMetric: (name, _unit, value) => recorded.push({ name, value }),
    publishStoredMetrics: () => {
      published++;
    },
    addDimensionedMetrics: (dims, values) => {
      for (const [name, value] of Object.entries(values)) recorded.push({ name, value, dims });
    },
  };
  const logs: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const logger: StructuredLogger = {
    debug: (message, fields) => logs.push({ level: 'debug', message, ...(fields ? { fields } : {}) }),
    info: (message, fields) => logs.push({ level: 'info', message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) => logs.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
    error: (message, fields) => logs.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
  };
  const handler = makeScheduledHandler({
    config,
    deps: {
      keySource: new FakeKeySource(),
      podApi: api,
      stateStore: store,
      notifier: new RecordingNotifier(),
      clock: new FakeClock(),
    },
    logger,
    metrics,
    leaseTtlMs: 60_000,
  });
  const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 };
  return { handler, context, recorded, logs, api, store, published: () => published };
}

describe('scheduled run', () => {
  it('logs one summary line and publishes the run metrics', async () => {
    const { handler, context, recorded, logs, published } = setup(false);
    const summary = await handler({}, context);
    expect(summary).toMatchObject({ status: 'completed', pods: 2, alerts: 0 });
    const lines = logs.filter((l) => l.level === 'info' && l.message === 'run completed');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fields).toMatchObject({ pods: 2, health: { ok: 2 }, alerts: 0 });
    expect(recorded.filter((r) => r.name === 'RunsSucceeded')).toEqual([{ name: 'RunsSucceeded', value: 1 }]);
    expect(recorded.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'PodsChecked',
        'PodsNotRunning',
        'PodsCheckFailed',
        'RestartsObserved',
        'AlertsSent',
        'RunDurationMs',
      ]),
    );
    expect(recorded.some((r) => r.dims)).toBe(false);
    expect(published()).toBe(1);
  });

  it('emits per-pod metrics only when metrics.perPod is on', async () => {
    const { handler, context, recorded, api } = setup(true);
    await handler({}, context);
    api.set('b', podInfo({ restartCount: 4, status: 'Failed' }));
    recorded.length = 0;
    await handler({}, context);
    const perPod = recorded.filter((r) => r.dims);
    expect(perPod).toEqual(
      expect.arrayContaining([
        { name: 'PodNotRunning', value: 1, dims: { taskId: TASK, podName: 'b' } },
        { name: 'PodRestarts', value: 3, dims: { taskId: TASK, podName: 'b' } },
        { name: 'PodNotRunning', value: 0, dims: { taskId: TASK, podName: 'a' } },
      ]),
    );
  });

  it('throws a failed run after logging it and counting RunsFailed, so the Errors alarm fires', async () => {
    const { handler, context, recorded, logs, store, published } = setup(false);
    store.failLoad = new StateReadError('table unreadable');
    await expect(handler({}, context)).rejects.toBeInstanceOf(StateReadError);
    expect(logs.find((l) => l.level === 'error')?.fields).toMatchObject({ errorName: 'StateReadError' });
    expect(recorded.map((r) => r.name)).toEqual(['RunsFailed']);
    expect(published()).toBe(1);
  });
});

describe('scheduled run without a readable key', () => {
  it('does not count as a succeeded run, so the heartbeat notices that nothing is watched', async () => {
    const { handler, context, recorded } = setup(false);
    const { KeySourceError } = await import('../../lambda/core/errors');
    const keyless = makeScheduledHandler({
      config: parseConfig({ pods: [{ taskId: TASK, podName: 'a' }] }),
      deps: {
        keySource: new FakeKeySource(new KeySourceError('secret s has no API key yet')),
        podApi: new FakePodApi(),
        stateStore: new MemoryStateStore(),
        notifier: new RecordingNotifier(),
        clock: new FakeClock(),
      },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      metrics: {
        addMetric: (name, _unit, value) => recorded.push({ name, value }),
        publishStoredMetrics() {},
      },
      leaseTtlMs: 60_000,
    });
    expect((await keyless({}, context)).status).toBe('completed');
    expect(recorded.map((r) => r.name)).toContain('RunsWithoutKey');
    expect(recorded.map((r) => r.name)).not.toContain('RunsSucceeded');
    recorded.length = 0;
    await handler({}, context);
    expect(recorded.map((r) => r.name)).toContain('RunsSucceeded');
  });
});
