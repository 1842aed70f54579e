import { createServer } from 'node:net';
import { CredentialChatChannels } from './lambda/adapters/chat-channel-source';
import { parseConfig } from './lambda/config/config';
import { makeScheduledHandler } from './lambda/scheduled-run';
import { lambdaTimeoutSeconds } from './lib/lambda-timeout';
import {
  FakeClock,
  FakeKeySource,
  FakePodApi,
  MemoryStateStore,
  podInfo,
  RecordingNotifier,
  TASK,
} from './test/support/fakes';

const sockets: any[] = [];
const srv = createServer((s) => {
  sockets.push(s); /* accept, never answer */
});
srv.listen(0, '127.0.0.1', async () => {
  const port = (srv.address() as any).port;
  const names = ['a', 'b', 'c', 'd'];
  const config = parseConfig({
    pods: [{ taskId: TASK, podName: 'p-0' }],
    webhooks: names.map((name) => ({ name, type: 'slack' })),
  });
  const timeoutS = lambdaTimeoutSeconds(config);
  const creds = Object.fromEntries(
    names.map((n) => [n, { url: `http://127.0.0.1:${port}/services/T0/B0/${n}` }]),
  );
  const clock = new FakeClock();
  const store = new MemoryStateStore(() => clock.now().getTime());
  const notifier = new RecordingNotifier();
  const api = new FakePodApi().set('p-0', podInfo({ status: 'Failed' }));
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const handler = makeScheduledHandler({
    config,
    leaseTtlMs: 60_000,
    logger: log,
    metrics: { addMetric() {}, publishStoredMetrics() {} },
    deps: {
      keySource: new FakeKeySource(),
      podApi: api,
      stateStore: store,
      notifier,
      clock,
      logger: log,
      chat: new CredentialChatChannels(config.webhooks, async () => creds, 'test', {
        allowHttpLoopback: true,
      }),
    },
  });
  const started = Date.now();
  const end = started + timeoutS * 1000;
  await handler({}, { awsRequestId: 'req-1', getRemainingTimeInMillis: () => end - Date.now() });
  const took = (Date.now() - started) / 1000;
  console.log(
    `Lambda timeout for this config: ${timeoutS}s; run took ${took.toFixed(1)}s -> ${took > timeoutS ? 'KILLED by Lambda after SNS publish, before commit' : 'ok'}`,
  );
  console.log('emails published:', notifier.sent.length, 'state commits:', store.commits.length);
  for (const s of sockets) s.destroy();
  srv.close();
});
