import { parseConfig } from './lambda/config/config';
import { NotifyError } from './lambda/core/errors';
import { runCheck } from './lambda/core/run-check';
import type { Notification } from './lambda/core/types';
import { FakeClock, FakeKeySource, FakePodApi, MemoryStateStore, podInfo, TASK } from './test/support/fakes';

class SnsLike {
  sent = 0;
  async send(n: Notification) {
    const bytes = Buffer.byteLength(JSON.stringify({ default: n.text, email: n.email, sms: n.sms }));
    if (bytes > 262144) throw new NotifyError(`InvalidParameter: Message too long (${bytes})`);
    this.sent++;
  }
}
const pods = Array.from({ length: 4000 }, (_, i) => ({
  taskId: TASK,
  podName: `tn-exqr5k7lvj7k-worker-${i}`,
}));
const config = parseConfig({ pods, digest: { at: '09:00', timezone: 'UTC' } });
const api = new FakePodApi();
for (const p of pods) api.set(p.podName, podInfo());
const clock = new FakeClock(new Date('2026-01-01T08:50:00Z'));
const store = new MemoryStateStore(() => clock.now().getTime());
const notifier = new SnsLike();
const deps = { keySource: new FakeKeySource(), podApi: api, stateStore: store, notifier, clock };
(async () => {
  for (let i = 0; i < 6; i++) {
    try {
      const r = await runCheck(config, deps, { runId: `r${i}`, leaseTtlMs: 1 });
      console.log(
        clock.now().toISOString(),
        r.status,
        'alerts',
        r.status === 'completed' ? r.alerts.length : '-',
      );
    } catch (e) {
      console.log(
        clock.now().toISOString(),
        'THROWS',
        (e as Error).message,
        'lastDigestAt',
        store.run.lastDigestAt,
      );
    }
    clock.advanceMinutes(5);
    if (i === 3) api.set('tn-exqr5k7lvj7k-worker-7', podInfo({ status: 'Failed' }));
  }
})();
