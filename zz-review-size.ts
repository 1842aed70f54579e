import { podInfo, TASK } from './test/support/fakes';

const a = {
  type: 'restarted',
  severity: 'warning',
  reminder: false,
  pod: { taskId: TASK, podName: 'tn-exqr5k7lvj7k-worker-12', name: 'worker 12' },
  status: 'Running',
  restartsBefore: 3,
  restartsAfter: 4,
  info: podInfo(),
  at: '2026-01-01T00:00:00.000Z',
};
console.log('bytes/alert', JSON.stringify(a).length, '10 channels x 50 =', 500 * JSON.stringify(a).length);
