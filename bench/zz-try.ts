import { startFakeAlayaApi } from '../simulator/fake-alaya-api';
import { startDynalite } from '../test/support/dynalite';
import { measureAwsCalls } from './aws-calls';
import { startAwsImpersonator } from './aws-impersonator';
import { BENCH_API_KEY, benchPods } from './pods';

(async () => {
  const fake = await startFakeAlayaApi({ latencyMs: 50, validKeys: [BENCH_API_KEY] });
  for (const p of benchPods(1000)) fake.setPod(p.taskId, p.podName);
  const dynalite = await startDynalite();
  const impersonator = await startAwsImpersonator({
    secretString: JSON.stringify({ apiKey: BENCH_API_KEY }),
  });
  const r = await measureAwsCalls({
    fake,
    dynalite,
    impersonator,
    secretId: 'alaya/bench',
    topicArn: 'arn:aws:sns:us-east-1:123456789012:bench',
    pods: 1000,
    concurrency: 16,
    steadyRuns: 6,
    scheduleMinutes: 5,
  });
  console.log(JSON.stringify(r, null, 1));
  await fake.close();
  await impersonator.close();
  await dynalite.stop();
})();
