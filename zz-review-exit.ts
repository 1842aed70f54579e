import { exitCode } from './lambda/cli/pod-watch-cli';
import { parseConfig } from './lambda/config/config';
import { runCheck } from './lambda/core/run-check';
import { newSilence } from './lambda/core/silences';
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
const api = new FakePodApi();
const deps = {
  keySource: new FakeKeySource(),
  podApi: api,
  stateStore: store,
  notifier: new RecordingNotifier(),
  clock,
};
(async () => {
  api.set('p-0', podInfo({ restartCount: 0 }));
  await runCheck(config, deps, { runId: 'a', leaseTtlMs: 1 });
  store.silences = {
    version: 1,
    silences: [newSilence({ taskId: TASK, forMs: 3600_000, reason: 'x', now: clock.now() })],
  };
  clock.advanceMinutes(5);
  api.set('p-0', podInfo({ restartCount: 3 }));
  const r = await runCheck(config, deps, { runId: 'b', leaseTtlMs: 1 });
  if (r.status === 'completed')
    console.log(
      'held:',
      r.held.map((h) => h.alert.type),
      'sent:',
      r.alerts.length,
      'exit code:',
      exitCode(r),
    );
})();
