import { renderRunNotification } from './lambda/core/digest';
import type { PodReport } from './lambda/core/types';

const n = Number(process.argv[2] ?? 5000);
const reports: PodReport[] = Array.from({ length: n }, (_, i) => ({
  pod: { taskId: 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a', podName: `tn-exqr5k7lvj7k-worker-${i}` },
  health: 'check-failed',
  error: 'HTTP 502 from the API (text/html body, not JSON)'.padEnd(120, '.'),
}));
for (const lang of ['en', 'zh'] as const) {
  const notif = renderRunNotification([], reports, lang)!;
  const msg = JSON.stringify({ default: notif.text, email: notif.email, sms: notif.sms });
  console.log(lang, n, 'pods: SNS Message bytes', Buffer.byteLength(msg), '(limit 262144)');
}
