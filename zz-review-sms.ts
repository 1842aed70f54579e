import { sanitizeSubject } from './lambda/adapters/sns-notifier';
import { renderNotification, smsEncoding, smsFits, smsLength } from './lambda/core/messages';
import type { Alert } from './lambda/core/types';

let rnd = 7;
const r = () => (rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648;
const alph = [
  'a',
  'Z',
  '0',
  ' ',
  '-',
  '{',
  '}',
  '[',
  '€',
  '^',
  '~',
  '|',
  '\\',
  '中',
  '文',
  '😀',
  'é',
  'ç',
  '`',
  '→',
  '…',
  '\u0301',
  'ß',
  '\t',
  '\n',
  'Ω',
  '£',
];
const rs = (n: number) => Array.from({ length: n }, () => alph[Math.floor(r() * alph.length)]).join('');
const types = [
  'not-running',
  'finished',
  'restarted',
  'recreated',
  'check-failed',
  'auth-failed',
  'recovered',
] as const;
let bad = 0;
for (let i = 0; i < 20000; i++) {
  const t = types[Math.floor(r() * types.length)]!;
  const a: Alert = {
    type: t,
    severity: (['critical', 'warning', 'info'] as const)[Math.floor(r() * 3)]!,
    reminder: r() < 0.3,
    pod:
      r() < 0.9
        ? {
            taskId: 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a',
            podName: 'p' + rs(Math.floor(r() * 80)),
            ...(r() < 0.5 ? { name: rs(1 + Math.floor(r() * 64)) } : {}),
          }
        : undefined,
    status: rs(Math.floor(r() * 30)),
    error: rs(Math.floor(r() * 300)),
    restartsBefore: 3,
    restartsAfter: 5,
    since: '2026-01-01T00:00:00Z',
    at: '2026-01-03T04:05:00Z',
    recoveredFrom: 'not-running',
    previousHostName: rs(10),
    info: {
      clusterName: 'c',
      hostName: rs(10),
      namespace: 'n',
      hostIp: '1',
      status: rs(8),
      podIp: '2',
      restartCount: 5,
      qosClass: 'BestEffort',
      createBy: 'x',
      createTime: rs(19),
    },
  } as Alert;
  const extra = Math.floor(r() * 3);
  const alerts = [a, ...Array.from({ length: extra }, () => ({ ...a }))];
  for (const language of ['en', 'zh'] as const) {
    const n = renderNotification(alerts, { language });
    const s = sanitizeSubject(n.subject);
    const subjOk = n.subject.length <= 99 && Array.from(s).length <= 99 && !/[\p{Cc}]/u.test(n.subject);
    if (!smsFits(n.sms) || !subjOk || /[\p{Cc}]/u.test(n.sms)) {
      bad++;
      if (bad < 6)
        console.log(
          'BAD',
          language,
          JSON.stringify(n.subject),
          n.subject.length,
          JSON.stringify(n.sms),
          smsEncoding(n.sms),
          smsLength(n.sms),
        );
    }
  }
}
console.log('bad', bad);
