import { parseConfig } from './lambda/config/config';
import { runCheck } from './lambda/core/run-check';
import {
  FakeClock,
  FakeKeySource,
  FakePodApi,
  MemoryStateStore,
  podInfo,
  RecordingNotifier,
  TASK,
} from './test/support/fakes';

const config = parseConfig({ pods: [{ taskId: TASK, podName: 'p-0' }] });
const clock = new FakeClock();
const store = new MemoryStateStore(() => clock.now().getTime());
const notifier = new RecordingNotifier();
const api = new FakePodApi();
const deps = { keySource: new FakeKeySource(), podApi: api, stateStore: store, notifier, clock };
(async () => {
  for (let i = 0; i < 8; i++) {
    api.set('p-0', podInfo({ status: i === 0 ? 'Running' : 'CrashLoopBackOff', restartCount: i }));
    const r = await runCheck(config, deps, { runId: `r${i}`, leaseTtlMs: 1 });
    console.log(
      clock.now().toISOString().slice(11, 16),
      r.status === 'completed'
        ? r.alerts.map((a) => `${a.type}${a.reminder ? '(rem)' : ''}`).join(',') || '-'
        : '',
    );
    clock.advanceMinutes(5);
  }
  console.log(
    'notifications in 35 min:',
    notifier.sent.length,
    notifier.sent.map((n) => n.subject),
  );
})();
