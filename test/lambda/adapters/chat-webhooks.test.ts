import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildDingTalkPayload,
  buildFeishuPayload,
  buildSlackPayload,
  buildWeComPayload,
  CHAT_LIMITS,
  type ChatChannelOptions,
  ChatDeliveryError,
  createChatChannel,
  dingTalkSignature,
  feishuSignature,
  filterForChannel,
  type WebhookCredentials,
} from '../../../lambda/adapters/chat-webhooks';
import {
  ConfigError,
  type WebhookConfig,
  type WebhookType,
  webhookSchema,
} from '../../../lambda/config/config';
import { PodWatchError } from '../../../lambda/core/errors';
import { alertSummary, type Language, renderNotification } from '../../../lambda/core/messages';
import type { Alert, Notification } from '../../../lambda/core/types';

// ---------------------------------------------------------------------------------------------
// Fixtures

const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const AT = '2026-11-21T10:00:00.000Z';
const NOW_MS = 1_700_000_000_123;

// Canaries: none of these may ever appear in an error.
const DING_TOKEN = 'dingCANARYtoken0123456789abcdef';
const WECOM_KEY = 'wecomCANARY-5f3c-4b2a-9e1d-0123456789ab';
const FEISHU_HOOK = 'feishuCANARY-1d2e-4f5a-8b9c-abcdef012345';
const SLACK_TEAM = 'T0CANARY1';
const SLACK_BOT = 'B0CANARY2';
const SLACK_TOKEN = 'slackCANARYtokenXXXXXXXXX';
const SECRET = 'SECsecretCANARY0123456789';
const CANARIES = [DING_TOKEN, WECOM_KEY, FEISHU_HOOK, SLACK_TEAM, SLACK_BOT, SLACK_TOKEN, SECRET];

function alert(overrides: Partial<Alert> & Pick<Alert, 'type'>): Alert {
  return { severity: 'critical', reminder: false, at: AT, ...overrides };
}

const pod = (name: string) => ({ taskId: TASK, podName: `tn-exqr5k7lvj7k-${name}-0`, name });

const FIXTURE_ALERTS: Alert[] = [
  alert({ type: 'restarted', severity: 'warning', pod: pod('worker'), restartsBefore: 3, restartsAfter: 5 }),
  alert({ type: 'finished', severity: 'info', pod: pod('eval'), status: 'Succeeded' }),
  alert({ type: 'not-running', pod: pod('master'), status: 'Failed', previousStatus: 'Running' }),
];

function fixture(language: Language = 'en'): Notification {
  return renderNotification(FIXTURE_ALERTS, { language });
}

/** Many alerts with long labels, to push every provider past its limit. */
function manyAlerts(
  count: number,
  label = (i: number) => `pod-with-a-rather-long-label-number-${i}`,
): Alert[] {
  return Array.from({ length: count }, (_, i) =>
    alert({
      type: 'check-failed',
      severity: i % 2 === 0 ? 'critical' : 'warning',
      pod: { taskId: TASK, podName: `tn-exqr5k7lvj7k-${i}`, name: label(i) },
      error: 'HTTP 502 from the API (text/html body, not JSON) while the gateway was being redeployed',
    }),
  );
}

const TAGS: Record<Language, Record<string, string>> = {
  en: { critical: '[CRITICAL]', warning: '[WARNING]', info: '[INFO]' },
  zh: { critical: '[严重]', warning: '[警告]', info: '[提示]' },
};

function lines(n: Notification, language: Language): Array<{ tag: string; summary: string }> {
  return n.alerts.map((a) => ({
    tag: TAGS[language][a.severity] as string,
    summary: alertSummary(a, language),
  }));
}

// ---------------------------------------------------------------------------------------------
// A loopback server that records requests and answers like a provider

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Answer {
  status?: number;
  body?: string | object;
  headers?: Record<string, string>;
}

type Reply = Answer | 'hang' | 'destroy' | ((req: Recorded) => Answer);

interface FakeChat {
  base: string;
  requests: Recorded[];
  close(): Promise<void>;
}

const servers: Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** Answers with `replies` in turn; the last one repeats. */
async function fakeChat(...replies: Reply[]): Promise<FakeChat> {
  const requests: Recorded[] = [];
  const server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: Recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const reply = replies[Math.min(requests.length - 1, replies.length - 1)] ?? {};
      if (reply === 'hang') return;
      if (reply === 'destroy') {
        req.socket.destroy();
        return;
      }
      const answer: Answer = typeof reply === 'function' ? reply(recorded) : reply;
      const body =
        typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? { errcode: 0 });
      res.writeHead(answer.status ?? 200, {
        'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
        ...answer.headers,
      });
      res.end(body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function urlFor(type: WebhookType, base: string): string {
  switch (type) {
    case 'dingtalk':
      return `${base}/robot/send?access_token=${DING_TOKEN}`;
    case 'feishu':
      return `${base}/open-apis/bot/v2/hook/${FEISHU_HOOK}`;
    case 'wecom':
      return `${base}/cgi-bin/webhook/send?key=${WECOM_KEY}`;
    case 'slack':
      return `${base}/services/${SLACK_TEAM}/${SLACK_BOT}/${SLACK_TOKEN}`;
  }
}

const OK_BODY: Record<WebhookType, string | object> = {
  dingtalk: { errcode: 0, errmsg: 'ok' },
  feishu: { code: 0, msg: 'success', data: {} },
  wecom: { errcode: 0, errmsg: 'ok' },
  slack: 'ok',
};

function webhook(type: WebhookType, severities?: WebhookConfig['severities']): WebhookConfig {
  return webhookSchema.parse({ name: 'oncall', type, ...(severities ? { severities } : {}) });
}

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

function channel(
  type: WebhookType,
  base: string,
  options: ChatChannelOptions & { secret?: string; severities?: WebhookConfig['severities'] } = {},
) {
  const { secret, severities, ...rest } = options;
  const credentials: WebhookCredentials = { url: urlFor(type, base), ...(secret ? { secret } : {}) };
  return createChatChannel(webhook(type, severities), credentials, {
    allowHttpLoopback: true,
    now: () => NOW_MS,
    retryDelayMs: 0,
    sleep: async () => {},
    ...rest,
  });
}

async function deliveryError(promise: Promise<unknown>): Promise<ChatDeliveryError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ChatDeliveryError);
    expect(err).toBeInstanceOf(PodWatchError);
    return err as ChatDeliveryError;
  }
  throw new Error('expected a ChatDeliveryError');
}

function expectNoCanary(err: unknown): void {
  const e = err as Error;
  const texts = [
    e.message,
    String(e),
    e.stack ?? '',
    JSON.stringify(e),
    String((e as { cause?: unknown }).cause),
  ];
  for (const text of texts) for (const canary of CANARIES) expect(text).not.toContain(canary);
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const all = ['critical', 'warning', 'info'] as const;

// ---------------------------------------------------------------------------------------------
// Payloads

describe('payload builders: exact bodies', () => {
  for (const language of ['en', 'zh'] as const) {
    it(`DingTalk markdown (${language})`, () => {
      const n = fixture(language);
      const [a, b, c] = lines(n, language);
      expect(n.alerts.map((x) => x.severity)).toEqual(['critical', 'warning', 'info']);
      expect(buildDingTalkPayload(n, language)).toEqual({
        msgtype: 'markdown',
        markdown: {
          title: n.subject,
          text:
            `### ${n.subject}\n\n` +
            `- **${a?.tag}** ${a?.summary}\n` +
            `- **${b?.tag}** ${b?.summary}\n` +
            `- **${c?.tag}** ${c?.summary}`,
        },
      });
    });

    it(`Feishu interactive card (${language})`, () => {
      const n = fixture(language);
      const div = (x?: { tag: string; summary: string }) => ({
        tag: 'div',
        text: { tag: 'plain_text', content: `${x?.tag} ${x?.summary}` },
      });
      const [a, b, c] = lines(n, language);
      expect(buildFeishuPayload(n, language)).toEqual({
        msg_type: 'interactive',
        card: {
          config: { wide_screen_mode: true },
          header: { template: 'red', title: { tag: 'plain_text', content: n.subject } },
          elements: [div(a), div(b), div(c)],
        },
      });
    });

    it(`WeCom markdown (${language})`, () => {
      const n = fixture(language);
      const [a, b, c] = lines(n, language);
      expect(buildWeComPayload(n, language)).toEqual({
        msgtype: 'markdown',
        markdown: {
          content:
            `**${n.subject}**\n` +
            `**${a?.tag}** ${a?.summary}\n` +
            `**${b?.tag}** ${b?.summary}\n` +
            `**${c?.tag}** ${c?.summary}`,
        },
      });
    });

    it(`Slack blocks (${language})`, () => {
      const n = fixture(language);
      const section = (x?: { tag: string; summary: string }) => ({
        type: 'section',
        text: { type: 'mrkdwn', text: `*${x?.tag}* ${x?.summary}` },
      });
      const [a, b, c] = lines(n, language);
      expect(buildSlackPayload(n, language)).toEqual({
        text: n.subject,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: n.subject, emoji: true } },
          section(a),
          section(b),
          section(c),
        ],
      });
    });
  }

  it('the fixture reads as expected in both languages', () => {
    expect(fixture('en').subject).toBe('[alaya-pod-watch] CRITICAL: master Failed (+2 more)');
    expect(buildWeComPayload(fixture('zh'), 'zh').markdown.content).toContain('**[警告]** worker');
  });

  it('marks reminders in the tag', () => {
    const n = renderNotification(
      [alert({ type: 'not-running', reminder: true, pod: pod('master'), status: 'Pending', since: AT })],
      { language: 'en' },
    );
    expect(buildWeComPayload(n, 'en').markdown.content).toContain(
      '**[CRITICAL, reminder]** master still Pending',
    );
    const zh = renderNotification(n.alerts, { language: 'zh' });
    expect(buildWeComPayload(zh, 'zh').markdown.content).toContain('**[严重·提醒]**');
  });

  it('colours the Feishu header by the worst severity, green when everything recovered', () => {
    const only = (a: Alert) => buildFeishuPayload(renderNotification([a], { language: 'en' }), 'en');
    expect(only(FIXTURE_ALERTS[0] as Alert).card.header.template).toBe('orange');
    expect(only(FIXTURE_ALERTS[1] as Alert).card.header.template).toBe('blue');
    const recovered = alert({
      type: 'recovered',
      severity: 'info',
      pod: pod('master'),
      recoveredFrom: 'not-running',
      status: 'Running',
    });
    expect(only(recovered).card.header.template).toBe('green');
  });

  it('keeps text from the config and the API inert in every markup', () => {
    const hostile = alert({
      type: 'check-failed',
      pod: { taskId: TASK, podName: 'tn-x-0', name: '<at id=all></at>' },
      error: '<@all> <!channel> ![img](https://evil.example/t.png) & [click](https://evil.example)',
    });
    const n = renderNotification([hostile], { language: 'en' });
    for (const text of [
      buildDingTalkPayload(n, 'en').markdown.text,
      buildWeComPayload(n, 'en').markdown.content,
    ]) {
      expect(text).not.toMatch(/[<>]/);
      expect(text).not.toContain('](');
      expect(text).toContain('＜at id=all＞＜/at＞');
      expect(text).toContain('![img] (https://evil.example/t.png)');
    }
    const slack = buildSlackPayload(n, 'en');
    const section = slack.blocks[1];
    expect(section?.type === 'section' && section.text.text).toContain('&lt;!channel&gt;');
    expect(section?.type === 'section' && section.text.text).toContain(' &amp; ');
    expect(JSON.stringify(slack.blocks.slice(1))).not.toMatch(/[<>]/);
    // Feishu gets plain_text only: nothing in it is ever parsed as lark_md.
    const feishu = buildFeishuPayload(n, 'en');
    expect(JSON.stringify(feishu)).not.toContain('lark_md');
    expect(feishu.card.elements[0]).toEqual({
      tag: 'div',
      text: { tag: 'plain_text', content: `[CRITICAL] ${alertSummary(hostile, 'en')}` },
    });
  });
});

describe('payload builders: size limits', () => {
  const big = renderNotification(manyAlerts(400), { language: 'en' });

  function hiddenFrom(line: string | undefined, language: Language = 'en'): number {
    const m = (language === 'en' ? /^\(\+(\d+) more\)$/ : /^（另有 (\d+) 条）$/).exec(line ?? '');
    if (!m) throw new Error(`not a "more" line: ${line}`);
    return Number(m[1]);
  }

  it('DingTalk stays within 20,000 bytes and counts what it left out', () => {
    const text = buildDingTalkPayload(big, 'en').markdown.text;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(CHAT_LIMITS.dingtalkMarkdownBytes);
    const all = text.split('\n');
    const shown = all.filter((l) => l.startsWith('- **[')).length;
    expect(shown).toBeGreaterThan(10);
    expect(shown + hiddenFrom(all.at(-1))).toBe(400);
  });

  it('WeCom stays within 4,096 bytes, in Chinese too', () => {
    const zh = renderNotification(
      manyAlerts(60, (i) => `训练任务主节点容器组编号${i}`),
      { language: 'zh' },
    );
    for (const [n, language] of [
      [big, 'en'],
      [zh, 'zh'],
    ] as const) {
      const content = buildWeComPayload(n, language).markdown.content;
      expect(Buffer.byteLength(content)).toBeLessThanOrEqual(CHAT_LIMITS.wecomMarkdownBytes);
      expect(Buffer.byteLength(content)).toBeGreaterThan(CHAT_LIMITS.wecomMarkdownBytes - 700);
      const all = content.split('\n');
      // The first line is the bold subject, which starts like an alert line.
      const shown = all.slice(1).filter((l) => l.startsWith('**[')).length;
      expect(shown + hiddenFrom(all.at(-1), language)).toBe(n.alerts.length);
    }
  });

  it('Feishu stays within the body and element limits, signature included', () => {
    const p = buildFeishuPayload(big, 'en');
    const signed = JSON.stringify({
      timestamp: '1700000000',
      sign: feishuSignature(SECRET, 1_700_000_000),
      ...p,
    });
    expect(Buffer.byteLength(signed)).toBeLessThanOrEqual(CHAT_LIMITS.feishuBodyBytes);
    expect(p.card.elements.length).toBeLessThanOrEqual(CHAT_LIMITS.feishuElements);
    const last = p.card.elements.at(-1);
    if (last?.tag !== 'note') throw new Error('expected a note last');
    const divs = p.card.elements.filter((e) => e.tag === 'div').length;
    expect(divs + hiddenFrom(last.elements[0]?.content)).toBe(400);
  });

  it('Slack keeps 50 blocks, 3,000 characters a section and the sections total', () => {
    const p = buildSlackPayload(big, 'en');
    expect(p.blocks.length).toBeLessThanOrEqual(CHAT_LIMITS.slackBlocks);
    let total = 0;
    for (const b of p.blocks) {
      if (b.type === 'section') {
        expect(b.text.text.length).toBeLessThanOrEqual(CHAT_LIMITS.slackSectionChars);
        total += b.text.text.length;
      }
    }
    expect(total).toBeLessThanOrEqual(CHAT_LIMITS.slackSectionsTotalChars);
    const last = p.blocks.at(-1);
    if (last?.type !== 'context') throw new Error('expected a context block last');
    const sections = p.blocks.filter((b) => b.type === 'section').length;
    expect(sections + hiddenFrom(last.elements[0]?.text)).toBe(400);
  });

  it('Slack uses all 50 blocks when that is exactly enough, and keeps one for the count otherwise', () => {
    const short = (i: number) => `p${i}`;
    const fits = buildSlackPayload(renderNotification(manyAlerts(49, short), { language: 'en' }), 'en');
    expect(fits.blocks).toHaveLength(50);
    expect(fits.blocks.some((b) => b.type === 'context')).toBe(false);
    const over = buildSlackPayload(renderNotification(manyAlerts(50, short), { language: 'en' }), 'en');
    expect(over.blocks).toHaveLength(50);
    expect(over.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '(+2 more)' }],
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Severity filter

describe('filterForChannel', () => {
  it('keeps the wanted severities and re-renders the subject for them', () => {
    const n = fixture('en');
    const critical = filterForChannel(n, ['critical'], 'en');
    expect(critical?.alerts.map((a) => a.type)).toEqual(['not-running']);
    expect(critical?.subject).toBe('[alaya-pod-watch] CRITICAL: master Failed');
    expect(filterForChannel(n, ['warning', 'info'], 'en')?.subject).toBe(
      '[alaya-pod-watch] WARNING: worker restarted 3→5 (+1 more)',
    );
  });

  it('returns undefined when nothing is left', () => {
    const infoOnly = renderNotification([FIXTURE_ALERTS[1] as Alert], { language: 'en' });
    expect(filterForChannel(infoOnly, ['critical', 'warning'], 'en')).toBeUndefined();
  });

  it('renders in the language asked for and keeps a custom product tag', () => {
    const n = renderNotification(FIXTURE_ALERTS, { language: 'en', product: 'gpu-watch' });
    const zh = filterForChannel(n, all, 'zh');
    expect(zh?.subject).toBe(
      renderNotification(FIXTURE_ALERTS, { language: 'zh', product: 'gpu-watch' }).subject,
    );
    expect(zh?.subject.startsWith('[gpu-watch] 严重')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Signing

describe('signatures', () => {
  // Computed once with node:crypto and cross-checked with Python's hmac; a change of algorithm fails here.
  it('DingTalk known-answer vector', () => {
    expect(dingTalkSignature('SEC0123456789abcdef', 1_700_000_000_123)).toBe(
      'V9VP5gL2WDsEZvZQHnbd9k4n+p56ibcLMh+WKMZRQas=',
    );
  });

  it('Feishu known-answer vector', () => {
    expect(feishuSignature('feishu-secret-0123', 1_700_000_000)).toBe(
      '+1U0CMYEwDTNNFL+y2fnyQM4HJAMb/Bh4gSg7jklS/s=',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Delivery over HTTP

describe('delivery: DingTalk', () => {
  it('posts the markdown with timestamp and sign in the query, signed with the secret', async () => {
    const fake = await fakeChat({ body: OK_BODY.dingtalk });
    const n = fixture('en');
    await channel('dingtalk', fake.base, { secret: SECRET }).send(n, { language: 'en' });

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0] as Recorded;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    const url = new URL(req.url, fake.base);
    expect(url.pathname).toBe('/robot/send');
    expect(url.searchParams.get('access_token')).toBe(DING_TOKEN);
    expect(url.searchParams.get('timestamp')).toBe(String(NOW_MS));
    const expected = createHmac('sha256', SECRET).update(`${NOW_MS}\n${SECRET}`).digest('base64');
    expect(url.searchParams.get('sign')).toBe(expected);
    // base64's "+", "/" and "=" must arrive percent-encoded, or "+" would be read as a space.
    expect(req.url).toContain(`sign=${encodeURIComponent(expected)}`);
    expect(JSON.parse(req.body)).toEqual(
      buildDingTalkPayload(filterForChannel(n, all, 'en') as Notification, 'en'),
    );
  });

  it('sends no signature without a secret', async () => {
    const fake = await fakeChat({ body: OK_BODY.dingtalk });
    await channel('dingtalk', fake.base).send(fixture(), { language: 'en' });
    const url = new URL((fake.requests[0] as Recorded).url, fake.base);
    expect([...url.searchParams.keys()]).toEqual(['access_token']);
  });

  it('fails on errcode 310000 without retrying', async () => {
    const fake = await fakeChat({ body: { errcode: 310000, errmsg: 'sign not match' } });
    const err = await deliveryError(
      channel('dingtalk', fake.base, { secret: SECRET }).send(fixture(), { language: 'en' }),
    );
    expect(err.message).toBe('webhook oncall (dingtalk): errcode 310000: sign not match (HTTP 200)');
    expect(err).toMatchObject({
      channelName: 'oncall',
      channelType: 'dingtalk',
      providerCode: 310000,
      attempts: 1,
    });
    expect(fake.requests).toHaveLength(1);
  });

  it('fails on an answer that is not JSON', async () => {
    const fake = await fakeChat({
      body: '<html>proxy login</html>',
      headers: { 'content-type': 'text/html' },
    });
    const err = await deliveryError(channel('dingtalk', fake.base).send(fixture(), { language: 'en' }));
    expect(err.message).toBe('webhook oncall (dingtalk): HTTP 200 with a body that is not JSON (text/html)');
  });
});

describe('delivery: Feishu', () => {
  it('posts the card with timestamp (seconds, string) and sign in the body', async () => {
    const fake = await fakeChat({ body: OK_BODY.feishu });
    const n = fixture('zh');
    await channel('feishu', fake.base, { secret: SECRET }).send(n, { language: 'zh' });

    const req = fake.requests[0] as Recorded;
    expect(req.url).toBe(`/open-apis/bot/v2/hook/${FEISHU_HOOK}`);
    expect(req.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req.body);
    expect(body.timestamp).toBe('1700000000');
    const expected = createHmac('sha256', `1700000000\n${SECRET}`).update('').digest('base64');
    expect(body.sign).toBe(expected);
    const { timestamp: _t, sign: _s, ...rest } = body;
    expect(rest).toEqual(buildFeishuPayload(filterForChannel(n, all, 'zh') as Notification, 'zh'));
  });

  it('sends no signature fields without a secret and accepts the older StatusCode answer', async () => {
    const fake = await fakeChat({ body: { Extra: null, StatusCode: 0, StatusMessage: 'success' } });
    await channel('feishu', fake.base).send(fixture(), { language: 'en' });
    const body = JSON.parse((fake.requests[0] as Recorded).body);
    expect(Object.keys(body)).toEqual(['msg_type', 'card']);
  });

  it('fails on code 19021', async () => {
    const fake = await fakeChat({
      body: {
        code: 19021,
        msg: 'sign match fail or timestamp is not within one hour from current time',
        data: {},
      },
    });
    const err = await deliveryError(
      channel('feishu', fake.base, { secret: SECRET }).send(fixture(), { language: 'en' }),
    );
    expect(err.message).toBe(
      'webhook oncall (feishu): code 19021: sign match fail or timestamp is not within one hour from current time (HTTP 200)',
    );
    expect(err.providerCode).toBe(19021);
  });

  it('signs each attempt with a fresh timestamp', async () => {
    const fake = await fakeChat({ status: 502, body: 'bad gateway' }, { body: OK_BODY.feishu });
    let now = NOW_MS;
    await channel('feishu', fake.base, { secret: SECRET, now: () => (now += 61_000) }).send(fixture(), {
      language: 'en',
    });
    const bodies = fake.requests.map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.timestamp)).toEqual(['1700000061', '1700000122']);
    for (const b of bodies) {
      expect(b.sign).toBe(createHmac('sha256', `${b.timestamp}\n${SECRET}`).update('').digest('base64'));
    }
  });
});

describe('delivery: WeCom', () => {
  it('posts the markdown to the key URL', async () => {
    const fake = await fakeChat({ body: OK_BODY.wecom });
    const n = fixture('en');
    await channel('wecom', fake.base).send(n, { language: 'en' });
    const req = fake.requests[0] as Recorded;
    expect(req.url).toBe(`/cgi-bin/webhook/send?key=${WECOM_KEY}`);
    expect(JSON.parse(req.body)).toEqual(
      buildWeComPayload(filterForChannel(n, all, 'en') as Notification, 'en'),
    );
  });

  it('fails on errcode 93000', async () => {
    const fake = await fakeChat({ body: { errcode: 93000, errmsg: 'invalid webhook url' } });
    const err = await deliveryError(channel('wecom', fake.base).send(fixture(), { language: 'en' }));
    expect(err.message).toBe('webhook oncall (wecom): errcode 93000: invalid webhook url (HTTP 200)');
  });
});

describe('delivery: Slack', () => {
  it('posts text and blocks and accepts "ok"', async () => {
    const fake = await fakeChat({ body: OK_BODY.slack });
    const n = fixture('en');
    await channel('slack', fake.base).send(n, { language: 'en' });
    const req = fake.requests[0] as Recorded;
    expect(req.url).toBe(`/services/${SLACK_TEAM}/${SLACK_BOT}/${SLACK_TOKEN}`);
    expect(JSON.parse(req.body)).toEqual(
      buildSlackPayload(filterForChannel(n, all, 'en') as Notification, 'en'),
    );
  });

  it('fails on 404 no_service', async () => {
    const fake = await fakeChat({ status: 404, body: 'no_service' });
    const err = await deliveryError(channel('slack', fake.base).send(fixture(), { language: 'en' }));
    expect(err.message).toBe('webhook oncall (slack): HTTP 404: no_service');
    expect(err).toMatchObject({ httpStatus: 404, providerCode: 'no_service', attempts: 1 });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('delivery: severity filter', () => {
  it('sends only the severities of the channel', async () => {
    const fake = await fakeChat({ body: OK_BODY.wecom });
    await channel('wecom', fake.base, { severities: ['critical'] }).send(fixture(), { language: 'en' });
    const content = JSON.parse((fake.requests[0] as Recorded).body).markdown.content as string;
    expect(content).toBe(
      `**[alaya-pod-watch] CRITICAL: master Failed**\n**[CRITICAL]** ${alertSummary(FIXTURE_ALERTS[2] as Alert, 'en')}`,
    );
  });

  it('sends nothing, and does not fail, when no alert is left', async () => {
    const fake = await fakeChat({ body: OK_BODY.slack });
    const warningsOnly = renderNotification([FIXTURE_ALERTS[0] as Alert], { language: 'en' });
    await channel('slack', fake.base, { severities: ['critical'] }).send(warningsOnly, { language: 'en' });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('delivery: retries, timeout and answer size', () => {
  it('retries once after a 5xx, after the configured delay', async () => {
    const fake = await fakeChat(
      { status: 503, body: { errcode: -1, errmsg: 'busy' } },
      { body: OK_BODY.dingtalk },
    );
    const { waits, sleep } = recordingSleep();
    await channel('dingtalk', fake.base, { retryDelayMs: 250, sleep }).send(fixture(), { language: 'en' });
    expect(fake.requests).toHaveLength(2);
    expect(waits).toEqual([250]);
  });

  it('retries once after a 429, honouring a short Retry-After', async () => {
    const fake = await fakeChat(
      { status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } },
      { body: 'ok' },
    );
    const { waits, sleep } = recordingSleep();
    await channel('slack', fake.base, { retryDelayMs: 250, sleep }).send(fixture(), { language: 'en' });
    expect(waits).toEqual([2000]);
  });

  it('leaves a long Retry-After to the next run', async () => {
    const fake = await fakeChat({ status: 429, body: 'rate_limited', headers: { 'retry-after': '60' } });
    const err = await deliveryError(channel('slack', fake.base).send(fixture(), { language: 'en' }));
    expect(err.message).toBe('webhook oncall (slack): HTTP 429: rate_limited; asked to wait 60 s');
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up after the one retry', async () => {
    const fake = await fakeChat({ status: 500, body: { code: 9499, msg: 'internal error' } });
    const err = await deliveryError(channel('feishu', fake.base).send(fixture(), { language: 'en' }));
    expect(err.message).toBe('webhook oncall (feishu): code 9499: internal error (HTTP 500) (2 attempts)');
    expect(err.attempts).toBe(2);
    expect(fake.requests).toHaveLength(2);
  });

  it('does not retry a client error', async () => {
    const fake = await fakeChat({ status: 400, body: 'invalid_payload' });
    await deliveryError(channel('slack', fake.base).send(fixture(), { language: 'en' }));
    expect(fake.requests).toHaveLength(1);
  });

  it('retries after a dropped connection', async () => {
    const fake = await fakeChat('destroy', { body: OK_BODY.wecom });
    await channel('wecom', fake.base).send(fixture(), { language: 'en' });
    expect(fake.requests).toHaveLength(2);
  });

  it('times out the whole exchange, then once more', async () => {
    const fake = await fakeChat('hang');
    const started = Date.now();
    const err = await deliveryError(
      channel('wecom', fake.base, { timeoutMs: 150 }).send(fixture(), { language: 'en' }),
    );
    expect(err.message).toBe('webhook oncall (wecom): no complete answer within 0.15 s (2 attempts)');
    expect(fake.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops reading an answer over 64 KiB', async () => {
    const fake = await fakeChat({ body: 'x'.repeat(100 * 1024) });
    const err = await deliveryError(channel('slack', fake.base).send(fixture(), { language: 'en' }));
    expect(err.message).toBe('webhook oncall (slack): HTTP 200 with an answer over 64 KiB');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('secrets never reach an error', () => {
  // A provider (or a proxy in front of it) that echoes the request would hand the token back; the
  // secret itself is never sent, so it is echoed as if a provider had stored and repeated it.
  const echo = (req: Recorded, secret: string) => `rejected ${req.url} ${secret} ${req.body.slice(0, 40)}`;
  const echoing = (type: WebhookType, secret: string): Reply => {
    switch (type) {
      case 'dingtalk':
        return (req) => ({ body: { errcode: 300001, errmsg: echo(req, secret) } });
      case 'feishu':
        return (req) => ({ body: { code: 19001, msg: echo(req, secret) } });
      case 'wecom':
        return (req) => ({ body: { errcode: 93000, errmsg: echo(req, secret) } });
      case 'slack':
        return (req) => ({ status: 403, body: echo(req, secret) });
    }
  };

  for (const type of ['dingtalk', 'feishu', 'wecom', 'slack'] as const) {
    it(`${type}: provider messages are scrubbed`, async () => {
      const signed = type === 'dingtalk' || type === 'feishu';
      const fake = await fakeChat(echoing(type, signed ? SECRET : ''));
      const err = await deliveryError(
        channel(type, fake.base, signed ? { secret: SECRET } : {}).send(fixture(), { language: 'en' }),
      );
      expect(err.message).toContain('[redacted]');
      expect(err.message).toContain(`webhook oncall (${type})`);
      expectNoCanary(err);
    });
  }

  it('network errors name no token', async () => {
    const fake = await fakeChat({ body: 'ok' });
    await fake.close();
    for (const type of ['dingtalk', 'feishu', 'wecom', 'slack'] as const) {
      const err = await deliveryError(channel(type, fake.base).send(fixture(), { language: 'en' }));
      expect(err.message).toMatch(/network error ECONNREFUSED/);
      expectNoCanary(err);
    }
  });
});

describe('createChatChannel: validation', () => {
  const make = (type: WebhookType, url: string, secret?: string, options: ChatChannelOptions = {}) =>
    configError(() =>
      createChatChannel(webhook(type), { url, ...(secret !== undefined ? { secret } : {}) }, options),
    );

  it('requires https, allowing http only on loopback when asked', () => {
    const canaryUrl = `http://oapi.example.com/robot/send?access_token=${DING_TOKEN}`;
    for (const err of [
      make('dingtalk', canaryUrl, undefined, { allowHttpLoopback: true }),
      make('dingtalk', `http://127.0.0.1:9/robot/send?access_token=${DING_TOKEN}`),
      make('dingtalk', `not a url ${DING_TOKEN}`),
    ]) {
      expect(err.message).toBe('webhooks[name=oncall]: url: expected an https URL');
      expectNoCanary(err);
    }
    expect(
      createChatChannel(
        webhook('dingtalk'),
        { url: `http://[::1]:9/robot/send?access_token=x` },
        {
          allowHttpLoopback: true,
        },
      ).name,
    ).toBe('oncall');
  });

  it('refuses user info and fragments', () => {
    expect(make('slack', `https://u:${SECRET}@hooks.slack.com/services/a`).message).toBe(
      'webhooks[name=oncall]: url: must not contain a user name or password',
    );
    expect(make('slack', 'https://hooks.slack.com/services/a#x').message).toBe(
      'webhooks[name=oncall]: url: must not contain a #fragment',
    );
  });

  it('checks the shape each provider needs', () => {
    expect(make('dingtalk', 'https://oapi.dingtalk.com/robot/send').message).toMatch(
      /^webhooks\[name=oncall\]: url: expected a DingTalk robot URL with an access_token parameter/,
    );
    expect(
      make('dingtalk', `https://oapi.dingtalk.com/robot/send?access_token=a&timestamp=1&sign=x`).message,
    ).toMatch(/must not carry timestamp or sign/);
    expect(make('wecom', 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send').message).toMatch(
      /expected a WeCom robot URL with a key parameter/,
    );
    expect(make('feishu', 'https://open.feishu.cn/').message).toMatch(/expected a Feishu\/Lark bot URL/);
    const slackSecret = make('slack', `https://hooks.slack.com/services/${SLACK_TOKEN}`, SECRET);
    expect(slackSecret.message).toBe(
      'webhooks[name=oncall]: secret: slack webhooks are not signed (the URL is the credential); remove it',
    );
    expectNoCanary(slackSecret);
    expect(make('feishu', 'https://open.feishu.cn/open-apis/bot/v2/hook/x', '').message).toBe(
      'webhooks[name=oncall]: secret: expected a non-empty string',
    );
    expect(make('slack', 'https://hooks.slack.com/services/x', undefined, { timeoutMs: 0 }).message).toMatch(
      /timeoutMs: expected a positive number/,
    );
  });
});
