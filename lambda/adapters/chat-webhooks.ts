/**
 * Chat channels for the run's grouped notification: DingTalk custom robots, Feishu/Lark custom
 * bots, WeCom group robots and Slack incoming webhooks, over node:http(s).
 *
 * A webhook URL is itself a credential (DingTalk `access_token`, WeCom `key`, the Feishu and Slack
 * path tokens), so nothing built here ever shows it: errors name the channel by its config name,
 * and every text that comes back from a provider is scrubbed of each secret part of the URL and of
 * the signing secret before it is kept.
 */
import { createHmac } from 'node:crypto';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError, type Severity, type WebhookConfig, type WebhookType } from '../config/config';
import { PodWatchError } from '../core/errors';
import { alertSummary, type Language, renderNotification } from '../core/messages';
import type { Alert, Notification } from '../core/types';

/**
 * Provider limits. Where sources disagree the smaller figure is used: a message cut short still
 * alerts, a message over the limit is rejected whole.
 */
export const CHAT_LIMITS = {
  /** DingTalk markdown `text`, UTF-8 bytes. */
  dingtalkMarkdownBytes: 20_000,
  /** Feishu's custom-bot guide says 20 KB per request body (30 KB is the card limit of the app API). */
  feishuBodyBytes: 20_000,
  /** Card elements; kept low so a huge run never meets an undocumented element cap. */
  feishuElements: 50,
  /** WeCom markdown `content`, UTF-8 bytes (over it: errcode 40058). */
  wecomMarkdownBytes: 4_096,
  slackTextChars: 40_000,
  slackHeaderChars: 150,
  slackSectionChars: 3_000,
  slackBlocks: 50,
  /**
   * Slack answers `msg_blocks_too_long` well below 50 x 3,000 characters (slackapi/bolt-js#2509), so
   * the sections together stay under this.
   */
  slackSectionsTotalChars: 12_000,
} as const;

export const MAX_RESPONSE_BYTES = 64 * 1024;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRY_DELAY_MS = 1_000;
/** A 429 asking for a longer wait is left to the next run rather than stretching this one. */
export const MAX_RETRY_AFTER_MS = 5_000;
/** One alert line; summaries are already bounded, this keeps one line from eating a whole budget. */
const MAX_LINE_POINTS = 500;
/** Room for `"timestamp":"1700000000","sign":"<44 base64 chars>",` added to a Feishu body after fitting. */
const FEISHU_SIGN_RESERVE_BYTES = 128;
const MESSAGE_LIMIT = 200;
const REDACTED = '[redacted]';
const USER_AGENT = 'alaya-pod-watch';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

// ---------------------------------------------------------------------------------------------
// Public types

export interface WebhookCredentials {
  url: string;
  /** DingTalk "加签" or Feishu "签名校验" secret; WeCom and Slack are not signed. */
  secret?: string;
}

export interface ChatChannel {
  readonly name: string;
  readonly type: WebhookType;
  /**
   * Sends the alerts of `notification` whose severity this channel takes, or nothing when none is
   * left. Throws ChatDeliveryError.
   */
  send(notification: Notification, options: { language: Language }): Promise<void>;
}

export interface ChatChannelOptions {
  /** Per attempt, covering connect, request and the whole answer. */
  timeoutMs?: number;
  /** Epoch milliseconds, for the signing timestamps. */
  now?: () => number;
  /** Plain http:// to 127.0.0.1, localhost or [::1]: for tests and local fakes only. */
  allowHttpLoopback?: boolean;
  /** Wait before the one retry. */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** A chat message was not accepted. The message never holds the webhook URL's secret parts. */
export class ChatDeliveryError extends PodWatchError {
  constructor(
    message: string,
    readonly channelName: string,
    readonly channelType: WebhookType,
    readonly attempts: number,
    readonly httpStatus?: number,
    /** The provider's own error code (`errcode`, `code`), or Slack's error string. */
    readonly providerCode?: number | string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Severity filter

// `renderNotification` writes the subject as `[product] ...`; reading it back keeps a custom tag.
const PRODUCT_IN_SUBJECT_RE = /^\[([^\]]{1,40})\] /;

/**
 * The notification restricted to `severities`, or undefined when no alert is left. It is always
 * re-rendered, so that the subject, its counts and the language match what the channel shows.
 */
export function filterForChannel(
  notification: Notification,
  severities: readonly Severity[],
  language: Language,
): Notification | undefined {
  const wanted = new Set(severities);
  const alerts = notification.alerts.filter((a) => wanted.has(a.severity));
  if (alerts.length === 0) return undefined;
  const product = PRODUCT_IN_SUBJECT_RE.exec(notification.subject)?.[1];
  return renderNotification(alerts, { language, ...(product !== undefined ? { product } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Words and text hygiene

interface ChatWords {
  severity: Record<Severity, string>;
  reminder: string;
  more(n: number): string;
}

// The same tags as the email blocks, so every channel reads alike.
const WORDS: Record<Language, ChatWords> = {
  en: {
    severity: { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' },
    reminder: ', reminder',
    more: (n) => `(+${n} more)`,
  },
  zh: {
    severity: { critical: '严重', warning: '警告', info: '提示' },
    reminder: '·提醒',
    more: (n) => `（另有 ${n} 条）`,
  },
};

function alertTag(alert: Alert, words: ChatWords): string {
  return `[${words.severity[alert.severity]}${alert.reminder ? words.reminder : ''}]`;
}

function alertLine(alert: Alert, language: Language): string {
  return capPoints(alertSummary(alert, language), MAX_LINE_POINTS);
}

function capPoints(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

/**
 * Labels come from the config and statuses and errors from the Alaya API: inside markdown, `<` could
 * open a mention (`<@userid>`, `<at id=all>`) or a font tag, and `[text](url)` a link or an image
 * fetched from anywhere. Look-alike brackets and a space after `]` keep the text readable and inert.
 */
export function defangMarkdown(text: string): string {
  return text.replaceAll('<', '＜').replaceAll('>', '＞').replaceAll('](', '] (');
}

/** Slack's documented escaping: `<!channel>` and `<url|text>` only work unescaped. */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The payload with as many leading alerts as `fits` accepts and the rest counted by a "(+N more)"
 * line. Alerts arrive sorted worst first, so what is cut is the least urgent.
 */
function fitAlerts<P>(
  alerts: readonly Alert[],
  build: (shown: readonly Alert[], hidden: number) => P,
  fits: (payload: P) => boolean,
): P {
  const whole = build(alerts, 0);
  if (fits(whole)) return whole;
  let best = build([], alerts.length);
  for (let shown = 1; shown < alerts.length; shown++) {
    const candidate = build(alerts.slice(0, shown), alerts.length - shown);
    if (!fits(candidate)) break;
    best = candidate;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Payload builders (pure)

export interface DingTalkPayload {
  msgtype: 'markdown';
  markdown: { title: string; text: string };
}

/** DingTalk custom robot markdown; the subject is also the title shown in the chat list. */
export function buildDingTalkPayload(notification: Notification, language: Language): DingTalkPayload {
  const words = WORDS[language];
  const title = notification.subject;
  return fitAlerts(
    notification.alerts,
    (shown, hidden) => {
      const lines = [`### ${defangMarkdown(title)}`, ''];
      for (const a of shown)
        lines.push(`- **${alertTag(a, words)}** ${defangMarkdown(alertLine(a, language))}`);
      if (hidden > 0) lines.push('', words.more(hidden));
      return { msgtype: 'markdown', markdown: { title, text: lines.join('\n') } };
    },
    (p) => utf8Bytes(p.markdown.text) <= CHAT_LIMITS.dingtalkMarkdownBytes,
  );
}

export interface FeishuText {
  tag: 'plain_text';
  content: string;
}
export type FeishuElement = { tag: 'div'; text: FeishuText } | { tag: 'note'; elements: FeishuText[] };
export type FeishuHeaderTemplate = 'red' | 'orange' | 'blue' | 'green';

export interface FeishuPayload {
  timestamp?: string;
  sign?: string;
  msg_type: 'interactive';
  card: {
    config: { wide_screen_mode: true };
    header: { template: FeishuHeaderTemplate; title: FeishuText };
    elements: FeishuElement[];
  };
}

/** The header colour tells the worst severity before anything is read; all-recovered is green. */
export function feishuTemplate(notification: Notification): FeishuHeaderTemplate {
  if (notification.alerts.every((a) => a.type === 'recovered')) return 'green';
  return notification.severity === 'critical'
    ? 'red'
    : notification.severity === 'warning'
      ? 'orange'
      : 'blue';
}

/**
 * Feishu/Lark interactive card. Every text is `plain_text`, so nothing from the API or the config is
 * ever read as lark_md (no `<at id=all>`, no links).
 */
export function buildFeishuPayload(notification: Notification, language: Language): FeishuPayload {
  const words = WORDS[language];
  const text = (content: string): FeishuText => ({ tag: 'plain_text', content });
  return fitAlerts(
    notification.alerts,
    (shown, hidden) => {
      const elements: FeishuElement[] = shown.map((a) => ({
        tag: 'div',
        text: text(`${alertTag(a, words)} ${alertLine(a, language)}`),
      }));
      if (hidden > 0) elements.push({ tag: 'note', elements: [text(words.more(hidden))] });
      return {
        msg_type: 'interactive',
        card: {
          config: { wide_screen_mode: true },
          header: { template: feishuTemplate(notification), title: text(notification.subject) },
          elements,
        },
      };
    },
    (p) =>
      p.card.elements.length <= CHAT_LIMITS.feishuElements &&
      utf8Bytes(JSON.stringify(p)) + FEISHU_SIGN_RESERVE_BYTES <= CHAT_LIMITS.feishuBodyBytes,
  );
}

export interface WeComPayload {
  msgtype: 'markdown';
  markdown: { content: string };
}

/** WeCom group robot markdown (4,096 bytes of UTF-8 at most). */
export function buildWeComPayload(notification: Notification, language: Language): WeComPayload {
  const words = WORDS[language];
  return fitAlerts(
    notification.alerts,
    (shown, hidden) => {
      const lines = [`**${defangMarkdown(notification.subject)}**`];
      for (const a of shown)
        lines.push(`**${alertTag(a, words)}** ${defangMarkdown(alertLine(a, language))}`);
      if (hidden > 0) lines.push(words.more(hidden));
      return { msgtype: 'markdown', markdown: { content: lines.join('\n') } };
    },
    (p) => utf8Bytes(p.markdown.content) <= CHAT_LIMITS.wecomMarkdownBytes,
  );
}

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: true } }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: Array<{ type: 'mrkdwn'; text: string }> };

export interface SlackPayload {
  /** What notifications and clients without blocks show. */
  text: string;
  blocks: SlackBlock[];
}

/** Slack incoming webhook: a header, one mrkdwn section per alert, a "(+N more)" context line. */
export function buildSlackPayload(notification: Notification, language: Language): SlackPayload {
  const words = WORDS[language];
  return fitAlerts(
    notification.alerts,
    (shown, hidden) => {
      const blocks: SlackBlock[] = [
        {
          type: 'header',
          text: {
            type: 'plain_text',
            text: capUnits(notification.subject, CHAT_LIMITS.slackHeaderChars),
            emoji: true,
          },
        },
      ];
      for (const a of shown) {
        const line = `*${alertTag(a, words)}* ${escapeSlack(alertLine(a, language))}`;
        blocks.push({
          type: 'section',
          text: { type: 'mrkdwn', text: capUnits(line, CHAT_LIMITS.slackSectionChars) },
        });
      }
      if (hidden > 0)
        blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: words.more(hidden) }] });
      return { text: capUnits(escapeSlack(notification.subject), CHAT_LIMITS.slackTextChars), blocks };
    },
    (p) =>
      p.blocks.length <= CHAT_LIMITS.slackBlocks &&
      p.blocks.reduce((sum, b) => sum + (b.type === 'section' ? b.text.text.length : 0), 0) <=
        CHAT_LIMITS.slackSectionsTotalChars,
  );
}

/** Slack counts characters; UTF-16 units are never fewer, so this errs on the safe side. */
function capUnits(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const point of text) {
    if (out.length + point.length > max - 1) break;
    out += point;
  }
  return `${out}…`;
}

export type ChatPayload = DingTalkPayload | FeishuPayload | WeComPayload | SlackPayload;

export function buildChatPayload(
  type: WebhookType,
  notification: Notification,
  language: Language,
): ChatPayload {
  switch (type) {
    case 'dingtalk':
      return buildDingTalkPayload(notification, language);
    case 'feishu':
      return buildFeishuPayload(notification, language);
    case 'wecom':
      return buildWeComPayload(notification, language);
    case 'slack':
      return buildSlackPayload(notification, language);
  }
}

// ---------------------------------------------------------------------------------------------
// Signing

/**
 * DingTalk "加签": base64(HMAC-SHA256(key = secret, message = `${timestampMs}\n${secret}`)). Returned
 * unencoded; it goes into the query string URL-encoded.
 */
export function dingTalkSignature(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/**
 * Feishu "签名校验": base64(HMAC-SHA256(key = `${timestampSeconds}\n${secret}`, message = empty)).
 * Feishu uses the string as the key, unlike DingTalk: swapping them is the classic 19021 error.
 */
export function feishuSignature(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

// ---------------------------------------------------------------------------------------------
// URL checks

/** The problem with a webhook URL, or undefined. Never quotes the URL: it is a credential. */
export function checkWebhookUrl(
  value: string,
  options: { allowHttpLoopback?: boolean } = {},
): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected an https URL';
  }
  const httpAllowed = options.allowHttpLoopback === true && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && httpAllowed)) return 'expected an https URL';
  if (url.username || url.password) return 'must not contain a user name or password';
  if (url.hash) return 'must not contain a #fragment';
  return undefined;
}

function checkForType(type: WebhookType, url: URL, secret: string | undefined): string[] {
  const problems: string[] = [];
  switch (type) {
    case 'dingtalk':
      if (!url.searchParams.get('access_token'))
        problems.push(
          'url: expected a DingTalk robot URL with an access_token parameter (https://oapi.dingtalk.com/robot/send?access_token=...)',
        );
      if (url.searchParams.has('timestamp') || url.searchParams.has('sign'))
        problems.push(
          'url: must not carry timestamp or sign; they are computed for each message from the secret',
        );
      break;
    case 'wecom':
      if (!url.searchParams.get('key'))
        problems.push(
          'url: expected a WeCom robot URL with a key parameter (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...)',
        );
      break;
    case 'feishu':
      if (url.pathname === '/' || url.pathname === '')
        problems.push(
          'url: expected a Feishu/Lark bot URL such as https://open.feishu.cn/open-apis/bot/v2/hook/...',
        );
      break;
    case 'slack':
      if (url.pathname === '/' || url.pathname === '')
        problems.push(
          'url: expected a Slack incoming webhook URL such as https://hooks.slack.com/services/...',
        );
      break;
  }
  if (secret !== undefined && (type === 'wecom' || type === 'slack'))
    problems.push(`secret: ${type} webhooks are not signed (the URL is the credential); remove it`);
  if (secret === '') problems.push('secret: expected a non-empty string');
  return problems;
}

/**
 * Every part of the URL that works as a credential: query values (DingTalk `access_token`, WeCom
 * `key`) and token-like path segments (Feishu hook id, Slack's T.../B.../secret). Longest first, so
 * a token is never half-replaced by a shorter part it contains.
 */
function secretParts(url: URL, secret: string | undefined): string[] {
  const parts = new Set<string>();
  const add = (value: string) => {
    if (value === '') return;
    parts.add(value);
    parts.add(encodeURIComponent(value));
  };
  if (secret) add(secret);
  for (const [, value] of url.searchParams) if (value.length >= 6) add(value);
  for (const segment of url.pathname.split('/')) {
    // Fixed words such as "open-apis", "services" or "webhook" hold no digits and stay readable.
    if (segment.length >= 16 || (segment.length >= 6 && /\d/.test(segment))) {
      add(segment);
      add(safeDecode(segment));
    }
  }
  return [...parts].sort((a, b) => b.length - a.length);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.replaceAll(s, REDACTED);
  return out;
}

/** One line, scrubbed before it is cut so that a cut can never leave a prefix of a secret behind. */
function cleanServerText(text: string, secrets: readonly string[]): string {
  const line = scrub(text, secrets)
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > MESSAGE_LIMIT ? `${line.slice(0, MESSAGE_LIMIT)}…` : line;
}

// ---------------------------------------------------------------------------------------------
// Channel

export function createChatChannel(
  config: WebhookConfig,
  credentials: WebhookCredentials,
  options: ChatChannelOptions = {},
): ChatChannel {
  const where = `webhooks[name=${config.name}]`;
  const urlProblem = checkWebhookUrl(credentials.url, options);
  if (urlProblem !== undefined) throw new ConfigError(`${where}: url: ${urlProblem}`);
  const url = new URL(credentials.url);
  const problems = checkForType(config.type, url, credentials.secret);
  if (problems.length > 0) {
    const issues = problems.map((p) => `${where}: ${p}`);
    throw new ConfigError(issues.join('; '), issues);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new ConfigError(`${where}: timeoutMs: expected a positive number of milliseconds`);
  }
  return new WebhookChannel({
    config,
    url,
    secret: credentials.secret,
    timeoutMs,
    now: options.now ?? Date.now,
    retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    sleep: options.sleep ?? ((ms) => delay(ms)),
  });
}

interface ChannelSettings {
  config: WebhookConfig;
  url: URL;
  secret: string | undefined;
  timeoutMs: number;
  now: () => number;
  retryDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

type Verdict =
  | { ok: true }
  | {
      ok: false;
      retryable: boolean;
      detail: string;
      httpStatus?: number;
      providerCode?: number | string;
      retryAfterMs?: number;
    };

class WebhookChannel implements ChatChannel {
  readonly name: string;
  readonly type: WebhookType;
  private readonly secrets: readonly string[];

  constructor(private readonly settings: ChannelSettings) {
    this.name = settings.config.name;
    this.type = settings.config.type;
    this.secrets = secretParts(settings.url, settings.secret);
  }

  async send(notification: Notification, options: { language: Language }): Promise<void> {
    const filtered = filterForChannel(notification, this.settings.config.severities, options.language);
    if (filtered === undefined) return;
    const payload = buildChatPayload(this.type, filtered, options.language);
    let attempts = 0;
    for (;;) {
      attempts++;
      // Signed again for each attempt: the timestamp must be fresh (DingTalk and Feishu allow 1 hour).
      const { target, body } = this.sign(payload);
      const verdict = judge(this.type, await post(target, body, this.settings.timeoutMs), this.secrets);
      if (verdict.ok) return;
      // One retry only: the next scheduled run sends the notification again anyway.
      const tooLong = verdict.retryAfterMs !== undefined && verdict.retryAfterMs > MAX_RETRY_AFTER_MS;
      if (!verdict.retryable || attempts >= 2 || tooLong) {
        const waited = tooLong ? `; asked to wait ${Math.ceil((verdict.retryAfterMs ?? 0) / 1000)} s` : '';
        throw new ChatDeliveryError(
          `webhook ${this.name} (${this.type}): ${verdict.detail}${waited}${attempts > 1 ? ` (${attempts} attempts)` : ''}`,
          this.name,
          this.type,
          attempts,
          verdict.httpStatus,
          verdict.providerCode,
        );
      }
      await this.settings.sleep(Math.max(this.settings.retryDelayMs, verdict.retryAfterMs ?? 0));
    }
  }

  private sign(payload: ChatPayload): { target: URL; body: string } {
    const { secret, url } = this.settings;
    if (secret === undefined) return { target: url, body: JSON.stringify(payload) };
    const nowMs = this.settings.now();
    if (this.type === 'dingtalk') {
      const target = new URL(url);
      target.searchParams.set('timestamp', String(nowMs));
      target.searchParams.set('sign', dingTalkSignature(secret, nowMs));
      return { target, body: JSON.stringify(payload) };
    }
    const seconds = Math.floor(nowMs / 1000);
    const signed = { timestamp: String(seconds), sign: feishuSignature(secret, seconds), ...payload };
    return { target: url, body: JSON.stringify(signed) };
  }
}

// ---------------------------------------------------------------------------------------------
// Judging answers

type Exchange =
  | { kind: 'answer'; status: number; body: string; contentType?: string; retryAfter?: string }
  | { kind: 'network'; code: string; message: string }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'too-large'; status: number };

const PROVIDER_FIELDS: Record<Exclude<WebhookType, 'slack'>, { code: string; message: string }> = {
  dingtalk: { code: 'errcode', message: 'errmsg' },
  wecom: { code: 'errcode', message: 'errmsg' },
  feishu: { code: 'code', message: 'msg' },
};

function judge(type: WebhookType, exchange: Exchange, secrets: readonly string[]): Verdict {
  switch (exchange.kind) {
    case 'network':
      return {
        ok: false,
        retryable: true,
        detail: `network error ${exchange.code}: ${cleanServerText(exchange.message, secrets)}`,
      };
    case 'timeout':
      return {
        ok: false,
        retryable: true,
        detail: `no complete answer within ${Number((exchange.timeoutMs / 1000).toFixed(3))} s`,
      };
    case 'too-large':
      return {
        ok: false,
        retryable: false,
        httpStatus: exchange.status,
        detail: `HTTP ${exchange.status} with an answer over ${MAX_RESPONSE_BYTES / 1024} KiB`,
      };
    case 'answer':
      break;
  }
  const { status, body } = exchange;
  const transient = status === 429 || status >= 500;
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(exchange.retryAfter) : undefined;
  const fail = (detail: string, providerCode?: number | string): Verdict => ({
    ok: false,
    retryable: transient,
    httpStatus: status,
    detail,
    ...(providerCode !== undefined ? { providerCode } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });

  if (type === 'slack') {
    if (status === 200) return { ok: true };
    // Slack answers a bare error string: no_service, invalid_payload, channel_not_found...
    const text = cleanServerText(body, secrets);
    return fail(`HTTP ${status}${text ? `: ${text}` : ''}`, /^[a-z_]+$/.test(text) ? text : undefined);
  }

  const fields = PROVIDER_FIELDS[type];
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const what =
      body.trim() === ''
        ? 'an empty body'
        : `a body that is not JSON (${exchange.contentType || 'no content-type'})`;
    return fail(`HTTP ${status} with ${what}`);
  }
  const record =
    typeof json === 'object' && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : {};
  // Older Feishu answers carry only StatusCode/StatusMessage.
  const rawCode = record[fields.code] ?? (type === 'feishu' ? record.StatusCode : undefined);
  const rawMessage = record[fields.message] ?? (type === 'feishu' ? record.StatusMessage : undefined);
  const code = typeof rawCode === 'number' ? rawCode : undefined;
  const message = typeof rawMessage === 'string' ? cleanServerText(rawMessage, secrets) : '';
  const httpOk = type === 'feishu' ? status >= 200 && status <= 299 : status === 200;
  if (httpOk && code === 0) return { ok: true };
  if (code === undefined) return fail(`HTTP ${status} without a numeric ${fields.code} in the answer`);
  return fail(`${fields.code} ${code}${message ? `: ${message}` : ''} (HTTP ${status})`, code);
}

/** Seconds or an HTTP date; undefined when absent or unreadable. */
function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

// ---------------------------------------------------------------------------------------------
// HTTP

function post(target: URL, body: string, timeoutMs: number): Promise<Exchange> {
  return new Promise<Exchange>((resolve) => {
    let done = false;
    let req: ClientRequest | undefined;
    const finish = (result: Exchange) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    // One timer for the whole exchange: a server that trickles its answer cannot hold the run.
    const timer = setTimeout(() => {
      finish({ kind: 'timeout', timeoutMs });
      req?.destroy();
    }, timeoutMs);
    const request = target.protocol === 'https:' ? (httpsRequest as typeof httpRequest) : httpRequest;
    try {
      req = request({
        protocol: target.protocol,
        // URL keeps the brackets of an IPv6 literal; the socket layer wants the bare address.
        hostname: target.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: target.port || undefined,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        // One message per run: no pooled socket that could keep a CLI process alive.
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body, 'utf8'),
          accept: 'application/json, text/plain',
          'user-agent': USER_AGENT,
        },
      });
    } catch (err) {
      finish(networkFailure(err));
      return;
    }
    const sent = req;
    sent.on('error', (err) => finish(networkFailure(err)));
    sent.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          finish({ kind: 'too-large', status });
          sent.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => finish(networkFailure(err)));
      res.on('close', () => {
        if (!res.complete) {
          finish({
            kind: 'network',
            code: 'ECONNRESET',
            message: 'the connection closed before the answer was complete',
          });
        }
      });
      res.on('end', () => {
        const retryAfter = res.headers['retry-after'];
        finish({
          kind: 'answer',
          status,
          body: Buffer.concat(chunks).toString('utf8'),
          ...(res.headers['content-type'] !== undefined ? { contentType: res.headers['content-type'] } : {}),
          ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
        });
      });
    });
    sent.end(body);
  });
}

function networkFailure(err: unknown): Exchange {
  const e = err as NodeJS.ErrnoException;
  return {
    kind: 'network',
    code: typeof e?.code === 'string' ? e.code : 'UNKNOWN',
    message: e?.message ?? String(err),
  };
}
