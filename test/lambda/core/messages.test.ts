import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alertSummary,
  formatDuration,
  type Language,
  renderNotification,
  SMS_MAX,
  SUBJECT_MAX_UNITS,
  smsEncoding,
  smsFits,
  smsLength,
  TEXT_MAX_UNITS,
} from '../../../lambda/core/messages';
import { ALERT_TYPES, type Alert, type PodInfo, type PodRef } from '../../../lambda/core/types';
import { podInfo } from '../../support/fakes';

// ---------------------------------------------------------------------------------------------
// Fixtures

const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const AT = '2026-11-21T10:00:00.000Z';

function info(overrides: Partial<PodInfo> = {}): PodInfo {
  return podInfo({ createTime: '2026-11-21 09:00:00', ...overrides });
}

function pod(name = 'trainer-0', podName = `tn-exqr5k7lvj7k-${name}`): PodRef {
  return { taskId: TASK, podName, name };
}

function alert(overrides: Partial<Alert> & Pick<Alert, 'type'>): Alert {
  return { severity: 'critical', reminder: false, at: AT, ...overrides };
}

const failed = (name = 'trainer-0', host = 'gpu-node-021'): Alert =>
  alert({
    type: 'not-running',
    pod: pod(name),
    status: 'Failed',
    previousStatus: 'Running',
    info: info({ status: 'Failed', hostName: host }),
  });

const restarted = (name = 'trainer-0', host = 'gpu-node-021'): Alert =>
  alert({
    type: 'restarted',
    severity: 'warning',
    pod: pod(name),
    restartsBefore: 3,
    restartsAfter: 5,
    info: info({ restartCount: 5, hostName: host }),
  });

const recovered = (name = 'trainer-0'): Alert =>
  alert({
    type: 'recovered',
    severity: 'info',
    pod: pod(name),
    recoveredFrom: 'not-running',
    status: 'Running',
    since: '2026-11-21T09:25:00.000Z',
  });

const codePoints = (s: string): number => Array.from(s).length;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;

function expectSmsFits(sms: string): void {
  expect(smsLength(sms)).toBeLessThanOrEqual(SMS_MAX[smsEncoding(sms)]);
  expect(smsFits(sms)).toBe(true);
  expect(sms).not.toMatch(LONE_SURROGATE);
}

function expectSubjectValid(subject: string): void {
  expect(codePoints(subject)).toBeLessThanOrEqual(100);
  expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_UNITS);
  expect(subject).not.toMatch(CONTROL);
  expect(subject).not.toMatch(LONE_SURROGATE);
  expect(subject).not.toMatch(/^\s/);
}

// ---------------------------------------------------------------------------------------------

describe('formatDuration', () => {
  it.each([
    [0, '<1m', '不到1分钟'],
    [59_999, '<1m', '不到1分钟'],
    [-5 * 60_000, '<1m', '不到1分钟'],
    [Number.NaN, '<1m', '不到1分钟'],
    [45 * 60_000 + 59_000, '45m', '45分钟'],
    [(2 * 60 + 13) * 60_000, '2h13m', '2小时13分'],
    [2 * 3_600_000, '2h', '2小时'],
    [(3 * 24 + 4) * 3_600_000 + 59 * 60_000, '3d4h', '3天4小时'],
    [3 * 24 * 3_600_000, '3d', '3天'],
  ])('%d ms → %s / %s', (ms, en, zh) => {
    expect(formatDuration(ms, 'en')).toBe(en);
    expect(formatDuration(ms, 'zh')).toBe(zh);
  });
});

describe('alertSummary', () => {
  const cases: Array<[string, Alert, string, string]> = [
    ['not-running', failed(), 'trainer-0 (ca78d6b9…) is Failed', 'trainer-0 状态为 Failed'],
    [
      'not-running reminder',
      alert({
        type: 'not-running',
        reminder: true,
        pod: pod(),
        status: 'Pending',
        since: '2026-11-21T07:47:00Z',
      }),
      'trainer-0 still Pending for 2h13m',
      'trainer-0 仍为 Pending，已持续 2小时13分',
    ],
    [
      'finished',
      alert({ type: 'finished', severity: 'info', pod: pod(), status: 'Succeeded' }),
      'trainer-0 Succeeded: training finished',
      'trainer-0 Succeeded：训练已完成',
    ],
    ['restarted', restarted(), 'trainer-0 restarted: restarts 3 → 5', 'trainer-0 重启：3 → 5 次'],
    [
      'recreated on another node',
      {
        ...alert({
          type: 'recreated',
          severity: 'warning',
          pod: pod(),
          info: info({ hostName: 'gpu-node-7' }),
          previousHostName: 'gpu-node-3',
        }),
        previousCreateTime: '2026-11-20 08:00:00',
      } as Alert,
      'trainer-0 was recreated (createTime 2026-11-20 08:00:00 → 2026-11-21 09:00:00), now on gpu-node-7 (was gpu-node-3)',
      'trainer-0 已被重建（创建时间 2026-11-20 08:00:00 → 2026-11-21 09:00:00），现位于 gpu-node-7（原 gpu-node-3）',
    ],
    [
      'recreated on the same node',
      alert({
        type: 'recreated',
        severity: 'warning',
        pod: pod(),
        info: info({ hostName: 'gpu-node-3' }),
        previousHostName: 'gpu-node-3',
      }),
      'trainer-0 was recreated (createTime now 2026-11-21 09:00:00)',
      'trainer-0 已被重建（创建时间 2026-11-21 09:00:00）',
    ],
    [
      'check-failed',
      alert({ type: 'check-failed', pod: pod(), error: 'HTTP 502 Bad Gateway' }),
      'trainer-0 could not be checked: HTTP 502 Bad Gateway',
      'trainer-0 无法检查：HTTP 502 Bad Gateway',
    ],
    [
      'check-failed reminder',
      alert({
        type: 'check-failed',
        reminder: true,
        pod: pod(),
        error: 'timeout',
        since: '2026-11-21T08:55:00.000Z',
      }),
      'trainer-0 still cannot be checked after 1h5m: timeout',
      'trainer-0 仍无法检查，已持续 1小时5分：timeout',
    ],
    [
      'check-failed without a pod (API key unreadable)',
      alert({ type: 'check-failed', error: 'secret not found' }),
      'Cannot check any pod: secret not found',
      '无法检查任何容器组：secret not found',
    ],
    [
      'auth-failed',
      alert({ type: 'auth-failed', podsAffected: 12, error: 'HTTP 403 Forbidden' }),
      'The Alaya API rejected the API key (12 pods): HTTP 403 Forbidden',
      'API 密钥被拒绝（12 个容器组）：HTTP 403 Forbidden',
    ],
    [
      'auth-failed reminder',
      alert({
        type: 'auth-failed',
        reminder: true,
        podsAffected: 1,
        error: 'HTTP 401',
        since: '2026-11-21T06:00:00Z',
      }),
      'The Alaya API still rejects the API key after 4h (1 pod): HTTP 401',
      'API 密钥仍被拒绝，已持续 4小时（1 个容器组）：HTTP 401',
    ],
    [
      'recovered from not-running',
      recovered(),
      'trainer-0 recovered: Running again after 35m',
      'trainer-0 已恢复：重新运行（异常持续 35分钟）',
    ],
    [
      'recovered from check-failed',
      alert({ type: 'recovered', severity: 'info', pod: pod(), recoveredFrom: 'check-failed' }),
      'trainer-0 can be checked again',
      'trainer-0 已可正常检查',
    ],
    [
      'recovered from auth-failed',
      alert({ type: 'recovered', severity: 'info', recoveredFrom: 'auth-failed' }),
      'The API key works again',
      'API 密钥已恢复可用',
    ],
    [
      'recovered key read',
      alert({ type: 'recovered', severity: 'info', recoveredFrom: 'check-failed' }),
      'The API key can be read again',
      'API 密钥已可读取',
    ],
  ];

  it.each(cases)('%s', (_name, a, en, zh) => {
    expect(alertSummary(a, 'en')).toBe(en);
    expect(alertSummary(a, 'zh')).toBe(zh);
  });

  it('covers every alert type', () => {
    expect(new Set(cases.map(([, a]) => a.type))).toEqual(new Set(ALERT_TYPES));
  });

  it('labels a pod without a name by its podName', () => {
    const a = alert({
      type: 'not-running',
      pod: { taskId: TASK, podName: 'tn-x-master-0' },
      status: 'Failed',
    });
    expect(alertSummary(a, 'en')).toBe('tn-x-master-0 (ca78d6b9…) is Failed');
  });

  it('keeps an error with line breaks and control characters on one line', () => {
    const a = alert({
      type: 'check-failed',
      pod: pod(),
      error: '<html>\r\n\t<body>bad\u0000\u2028gateway</body>\n',
    });
    expect(alertSummary(a, 'en')).toBe('trainer-0 could not be checked: <html> <body>bad gateway</body>');
  });

  it('omits a duration it cannot compute', () => {
    const a = alert({
      type: 'not-running',
      reminder: true,
      pod: pod(),
      status: 'Pending',
      since: 'yesterday',
    });
    expect(alertSummary(a, 'en')).toBe('trainer-0 still Pending');
  });
});

describe('renderNotification: sorting and metadata', () => {
  it('throws for an empty run', () => {
    expect(() => renderNotification([], { language: 'en' })).toThrow(/no alerts/);
  });

  it('sorts by severity, then type, then label, without touching the input', () => {
    const input = [recovered('a'), restarted('z'), failed('b'), restarted('c'), failed('a')];
    const copy = [...input];
    const n = renderNotification(input, { language: 'en' });
    expect(input).toEqual(copy);
    expect(n.alerts.map((a) => `${a.type}:${a.pod?.name}`)).toEqual([
      'not-running:a',
      'not-running:b',
      'restarted:c',
      'restarted:z',
      'recovered:a',
    ]);
    expect(n.severity).toBe('critical');
    expect(n.types).toEqual(['not-running', 'restarted', 'recovered']);
  });
});

describe('renderNotification: subject', () => {
  it('leads with the worst alert and counts the rest', () => {
    const n = renderNotification([restarted('x'), failed(), restarted('y'), recovered('z')], {
      language: 'en',
    });
    expect(n.subject).toBe('[alaya-pod-watch] CRITICAL: trainer-0 Failed (+3 more)');
  });

  it('counts several alerts of the worst severity', () => {
    const n = renderNotification([restarted('trainer-1'), restarted('trainer-0')], { language: 'en' });
    expect(n.subject).toBe('[alaya-pod-watch] 2 warnings: trainer-0 restarted 3→5 (+1 more)');
    expect(n.severity).toBe('warning');
  });

  it('marks reminders', () => {
    const a = alert({ type: 'not-running', reminder: true, pod: pod(), status: 'Pending', since: AT });
    expect(renderNotification([a], { language: 'en' }).subject).toBe(
      '[alaya-pod-watch] CRITICAL: trainer-0 still Pending (reminder)',
    );
    expect(renderNotification([a], { language: 'zh' }).subject).toBe(
      '[alaya-pod-watch] 严重：trainer-0 仍为 Pending（提醒）',
    );
  });

  it('says Recovered when everything recovered', () => {
    const n = renderNotification([recovered()], { language: 'en' });
    expect(n.subject).toBe('[alaya-pod-watch] Recovered: trainer-0 Running again');
    expect(n.severity).toBe('info');
    expect(renderNotification([recovered(), recovered('b')], { language: 'zh' }).subject).toBe(
      '[alaya-pod-watch] 已恢复：b 重新运行（另有 1 条）',
    );
  });

  it('renders zh and uses the product tag', () => {
    const n = renderNotification([failed(), restarted()], { language: 'zh', product: 'pods-staging' });
    expect(n.subject).toBe('[pods-staging] 严重：trainer-0 状态为 Failed（另有 1 条）');
    expect(n.sms.startsWith('pods-staging 严重：')).toBe(true);
  });

  it('names run-wide problems', () => {
    const auth = alert({ type: 'auth-failed', podsAffected: 3, error: 'HTTP 403' });
    expect(renderNotification([auth], { language: 'en' }).subject).toBe(
      '[alaya-pod-watch] CRITICAL: API key rejected',
    );
    const key = alert({ type: 'check-failed', error: 'AccessDenied' });
    expect(renderNotification([key], { language: 'zh' }).subject).toBe(
      '[alaya-pod-watch] 严重：无法检查任何容器组',
    );
  });
});

describe('renderNotification: email', () => {
  const full = (): Alert => ({
    ...failed(),
    restartsBefore: 1,
    restartsAfter: 2,
    reminder: true,
    since: '2026-11-21T07:47:00.000Z',
    error: 'OOMKilled',
    info: info({ status: 'Failed', qosClass: 'BestEffort' }),
  });

  it('shows every known field with English labels', () => {
    const { email } = renderNotification([full()], { language: 'en' });
    expect(email).toContain('1 alert (1 critical)');
    expect(email).toContain('[CRITICAL, reminder] trainer-0 still Failed for 2h13m');
    for (const line of [
      `Task:          ${TASK}`,
      'Pod:           tn-exqr5k7lvj7k-trainer-0 (trainer-0)',
      'Status:        Failed (was Running)',
      'Restarts:      1 → 2',
      'Host:          gpu-node-021 (10.24.7.1)',
      'Pod IP:        10.24.7.134',
      'Namespace:     usr-iZBv1HWA',
      'Cluster:       k8s-01',
      'QoS class:     BestEffort — first to be evicted under node pressure',
      'Created:       2026-11-21 09:00:00',
      'Error:         OOMKilled',
      'Since:         2026-11-21T07:47:00.000Z (2h13m ago)',
    ]) {
      expect(email).toContain(`  ${line}\n`);
    }
    expect(email).toContain('README');
    expect(email).toContain('alerts.reminderMinutes');
  });

  it('shows every known field with Chinese labels', () => {
    const { email } = renderNotification([full()], { language: 'zh' });
    expect(email).toContain('共 1 条告警（严重 1 条）');
    for (const line of [
      `任务：${TASK}`,
      '容器组：tn-exqr5k7lvj7k-trainer-0（trainer-0）',
      '状态：Failed（之前为 Running）',
      '重启次数：1 → 2',
      '节点：gpu-node-021（10.24.7.1）',
      '容器组 IP：10.24.7.134',
      '命名空间：usr-iZBv1HWA',
      '集群：k8s-01',
      'QoS 等级：BestEffort（资源紧张时最先被驱逐）',
      '创建时间：2026-11-21 09:00:00',
      '错误：OOMKilled',
      '开始于：2026-11-21T07:47:00.000Z（已持续 2小时13分）',
    ]) {
      expect(email).toContain(`  ${line}\n`);
    }
    expect(email).toContain('README');
    expect(email).toContain('alerts.reminderMinutes');
  });

  it('flags BestEffort only', () => {
    const { email } = renderNotification([failed()], { language: 'en' });
    expect(email).toContain('QoS class:     Guaranteed\n');
    expect(email).not.toContain('evicted');
  });

  it('shows the current restart count, the pods affected and a recovery duration', () => {
    const auth = alert({ type: 'auth-failed', podsAffected: 12, error: 'HTTP 403' });
    const { email } = renderNotification([auth, recovered('r'), failed()], { language: 'en' });
    expect(email).toContain('Restarts:      0\n');
    expect(email).toContain('Pods affected: 12\n');
    expect(email).toContain('Since:         2026-11-21T09:25:00.000Z (lasted 35m)\n');
    expect(email).toContain('3 alerts (2 critical, 1 info)');
  });

  it('names a node on which several pods failed together', () => {
    const alerts = [
      failed('c'),
      restarted('a'),
      alert({ type: 'check-failed', pod: pod('b'), error: 'timeout', info: info() }),
      failed('d', 'gpu-node-099'),
    ];
    const en = renderNotification(alerts, { language: 'en' }).email;
    expect(en).toContain('Suspect node\n');
    expect(en).toContain(
      'Node gpu-node-021 (10.24.7.1): 3 pods failed together: a, b, c — the node itself may be at fault.',
    );
    expect(en).not.toContain('Node gpu-node-099');
    const zh = renderNotification(alerts, { language: 'zh' }).email;
    expect(zh).toContain('可疑节点\n');
    expect(zh).toContain('节点 gpu-node-021（10.24.7.1）：3 个容器组同时出现问题：a、b、c');
  });

  it('does not suspect a node for one pod, even with two alerts', () => {
    const { email } = renderNotification([failed('a'), restarted('a')], { language: 'en' });
    expect(email).not.toContain('Suspect');
  });

  it('does not suspect nodes when pods are on different hosts', () => {
    const { email } = renderNotification([failed('a', 'n1'), failed('b', 'n2'), restarted('c', 'n3')], {
      language: 'en',
    });
    expect(email).not.toContain('Suspect');
  });

  it('ignores recovered and finished pods when suspecting a node', () => {
    const done = alert({
      type: 'finished',
      severity: 'info',
      pod: pod('b'),
      status: 'Succeeded',
      info: info(),
    });
    const back = { ...recovered('c'), info: info() };
    const { email } = renderNotification([failed('a'), done, back], { language: 'en' });
    expect(email).not.toContain('Suspect');
  });
});

describe('renderNotification: SMS and text', () => {
  it('puts the worst summary in a GSM-7 SMS for English', () => {
    const n = renderNotification([restarted(), failed(), recovered('x')], { language: 'en' });
    expect(n.sms).toBe('alaya-pod-watch CRITICAL: trainer-0 (ca78d6b9...) is Failed +2 more');
    expect(smsEncoding(n.sms)).toBe('gsm7');
  });

  it('replaces the arrow in English so the SMS stays GSM-7', () => {
    const n = renderNotification([restarted()], { language: 'en' });
    expect(n.sms).toBe('alaya-pod-watch WARNING: trainer-0 restarted: restarts 3 -> 5');
    expect(smsEncoding(n.sms)).toBe('gsm7');
  });

  it('uses UCS-2 for Chinese', () => {
    const n = renderNotification([failed(), restarted()], { language: 'zh' });
    expect(n.sms).toBe('alaya-pod-watch 严重：trainer-0 状态为 Failed（另有1条）');
    expect(smsEncoding(n.sms)).toBe('ucs2');
    expectSmsFits(n.sms);
  });

  it('text is the subject and one line per alert', () => {
    const n = renderNotification([restarted(), failed()], { language: 'en' });
    expect(n.text).toBe(
      [
        '[alaya-pod-watch] CRITICAL: trainer-0 Failed (+1 more)',
        '- [CRITICAL] trainer-0 (ca78d6b9…) is Failed',
        '- [WARNING] trainer-0 restarted: restarts 3 → 5',
      ].join('\n'),
    );
  });

  for (const language of ['en', 'zh'] as const) {
    it(`fits subject and SMS with a 253-character pod name (${language})`, () => {
      const podName = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
      expect(podName).toHaveLength(253);
      const long = alert({
        type: 'not-running',
        pod: { taskId: TASK, podName },
        status: 'CrashLoopBackOff',
        error: 'x'.repeat(5000),
      });
      const n = renderNotification([long, restarted()], { language });
      expectSubjectValid(n.subject);
      expect(n.subject).toContain('…');
      expect(n.subject.endsWith(language === 'en' ? '… (+1 more)' : '…（另有 1 条）')).toBe(true);
      expectSmsFits(n.sms);
      if (language === 'en') {
        expect(smsEncoding(n.sms)).toBe('gsm7');
        expect(n.sms.endsWith('... +1 more')).toBe(true);
        expect(smsLength(n.sms)).toBeGreaterThan(140);
      } else {
        expect(n.sms.endsWith('…（另有1条）')).toBe(true);
      }
      expect(n.text.length).toBeLessThanOrEqual(TEXT_MAX_UNITS);
      expect(n.email).toContain(podName);
    });

    it(`handles 50 alerts (${language})`, () => {
      const alerts = Array.from({ length: 50 }, (_, i) =>
        i % 2 ? failed(`trainer-${i}`, `gpu-node-${i % 5}`) : restarted(`worker-${i}`, `gpu-node-${i % 5}`),
      );
      const n = renderNotification(alerts, { language });
      expectSubjectValid(n.subject);
      expectSmsFits(n.sms);
      expect(n.alerts).toHaveLength(50);
      expect(n.text.length).toBeLessThanOrEqual(TEXT_MAX_UNITS);
      expect(n.text).toMatch(language === 'en' ? /\n\(\+\d+ more\)$/ : /\n（另有 \d+ 条）$/);
      // Every omitted line is counted.
      const shown = n.text.split('\n').filter((l) => l.startsWith('- ')).length;
      const omitted = Number(/(\d+)/.exec(n.text.split('\n').at(-1) ?? '')?.[1]);
      expect(shown + omitted).toBe(50);
      expect(n.email.match(/^\[/gm)).toHaveLength(50);
      expect(
        n.email.match(language === 'en' ? /^ {2}Node gpu-node-\d/gm : /^ {2}节点 gpu-node-\d/gm),
      ).toHaveLength(5);
      expect(n.subject).toBe(
        language === 'en'
          ? '[alaya-pod-watch] 25 CRITICAL: trainer-1 Failed (+49 more)'
          : '[alaya-pod-watch] 严重（25 条）：trainer-1 状态为 Failed（另有 49 条）',
      );
    });
  }

  it('never cuts an emoji in the subject or the SMS', () => {
    const name = '🚀'.repeat(64);
    const n = renderNotification([failed(name)], { language: 'en' });
    expectSubjectValid(n.subject);
    expectSmsFits(n.sms);
    expect(smsEncoding(n.sms)).toBe('ucs2');
    expect(n.subject).toMatch(/🚀…$/u);
  });
});

describe('smsEncoding / smsLength', () => {
  it.each([
    ['hello', 'gsm7', 5],
    ['@£$¥èéÇØΔ_ΣÆßÉ¡§¿äöñüà', 'gsm7', 22],
    ['{}[]~^\\|€', 'gsm7', 18],
    ['a`b', 'ucs2', 3],
    ['中文', 'ucs2', 2],
    ['→…', 'ucs2', 2],
    ['😀', 'ucs2', 2],
  ] as const)('%s is %s of length %d', (text, encoding, length) => {
    expect(smsEncoding(text)).toBe(encoding);
    expect(smsLength(text)).toBe(length);
  });

  it('keeps extension characters within 160 septets', () => {
    const n = renderNotification([failed('{'.repeat(64))], { language: 'en' });
    expect(smsEncoding(n.sms)).toBe('gsm7');
    expectSmsFits(n.sms);
  });
});

// ---------------------------------------------------------------------------------------------
// Property: whatever the labels, statuses and errors hold, every channel stays within its limits.

const nastyUnit = fc.oneof(
  fc.constantFrom(
    '😀',
    '👨‍👩‍👧',
    '🇨🇳',
    '中',
    '容',
    'é',
    '\u0301',
    '\n',
    '\r',
    '\t',
    '\u0000',
    '\u001b',
    '\u0085',
    '\u2028',
    '\u202e',
    '\uD800',
    '\uDFFF',
    '{',
    '€',
    '→',
    '…',
    ' ',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
);
const nasty = (maxLength: number) => fc.string({ unit: nastyUnit, maxLength });
const isoTime = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

const podInfoArb: fc.Arbitrary<PodInfo> = fc.record({
  clusterName: nasty(20),
  hostName: fc.oneof(fc.constantFrom('gpu-node-1', 'gpu-node-2'), nasty(80)),
  namespace: nasty(20),
  hostIp: nasty(20),
  status: nasty(30),
  podIp: nasty(20),
  restartCount: fc.nat(),
  qosClass: fc.oneof(fc.constantFrom('BestEffort', 'Guaranteed'), nasty(20)),
  createBy: nasty(10),
  createTime: nasty(25),
});

const alertArb: fc.Arbitrary<Alert> = fc.record(
  {
    type: fc.constantFrom(...ALERT_TYPES),
    severity: fc.constantFrom('critical' as const, 'warning' as const, 'info' as const),
    reminder: fc.boolean(),
    pod: fc.record(
      { taskId: fc.oneof(fc.constant(TASK), nasty(40)), podName: nasty(253), name: nasty(64) },
      { requiredKeys: ['taskId', 'podName'] },
    ),
    status: nasty(40),
    previousStatus: nasty(40),
    restartsBefore: fc.nat(),
    restartsAfter: fc.nat(),
    info: podInfoArb,
    previousHostName: nasty(40),
    since: fc.oneof(isoTime, nasty(10)),
    error: nasty(400),
    recoveredFrom: fc.constantFrom('not-running' as const, 'check-failed' as const, 'auth-failed' as const),
    podsAffected: fc.nat(),
    at: isoTime,
  },
  { requiredKeys: ['type', 'severity', 'reminder', 'at'] },
);

describe('renderNotification: property', () => {
  it('keeps subject, SMS and text within their limits for arbitrary alerts', () => {
    fc.assert(
      fc.property(
        fc.array(alertArb, { minLength: 1, maxLength: 12 }),
        fc.constantFrom<Language>('en', 'zh'),
        fc.option(nasty(60), { nil: undefined }),
        (alerts, language, product) => {
          const n = renderNotification(alerts, { language, product });
          expectSubjectValid(n.subject);
          expectSmsFits(n.sms);
          expect(n.text.length).toBeLessThanOrEqual(TEXT_MAX_UNITS);
          expect(n.text).not.toMatch(LONE_SURROGATE);
          expect(n.email).not.toMatch(LONE_SURROGATE);
          expect(n.alerts).toHaveLength(alerts.length);
          for (const a of n.alerts) {
            const line = alertSummary(a, language);
            expect(line).not.toMatch(CONTROL);
            expect(line).not.toMatch(LONE_SURROGATE);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
