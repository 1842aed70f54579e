/**
 * Renders the alerts of one run into one grouped notification for every channel (email, SMS,
 * terminal, SNS default). Pure: no I/O and no clock; durations come from the ISO times in the alerts.
 *
 * Everything that reaches a channel passes through `clean()`: pod labels come from the config and
 * statuses and errors from the API, so they may hold line breaks, control characters or lone
 * surrogates that SNS would reject or that would break the one-line formats.
 */
import type { Alert, AlertType, Notification, Severity } from './types';
import { ALERT_TYPES } from './types';

export type Language = 'en' | 'zh';

export interface RenderOptions {
  language: Language;
  /** Tag in the subject, the SMS and the email headline. */
  product?: string;
}

export const DEFAULT_PRODUCT = 'alaya-pod-watch';
/**
 * SNS documents subjects as "less than 100 characters" without saying in which unit; counting
 * UTF-16 units and staying under 100 is safe whether it means code points or UTF-16 units.
 */
export const SUBJECT_MAX_UNITS = 99;
/**
 * The SNS topic's display name. SNS puts it before every SMS as "ALAYAWATCH> ", so the text keeps
 * room for it (the stack sets the topic's display name from this constant).
 */
export const SMS_DISPLAY_NAME = 'AlayaWatch';
const SMS_PREFIX_UNITS = SMS_DISPLAY_NAME.length + 2;
/** One SMS is 140 bytes: 160 GSM 03.38 septets or 70 UCS-2 units, less the display-name prefix. */
export const SMS_MAX = { gsm7: 160 - SMS_PREFIX_UNITS, ucs2: 70 - SMS_PREFIX_UNITS } as const;
export const TEXT_MAX_UNITS = 1000;
/**
 * SNS refuses messages over 256 KB (all of `default`, `email` and `sms` together, as JSON): the
 * email body stops well short of that, so a run with thousands of alerts is still delivered.
 */
export const EMAIL_MAX_BYTES = 200_000;

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
const TYPE_RANK = new Map<AlertType, number>(ALERT_TYPES.map((t, i) => [t, i]));
/** Alert types that mean "something is wrong with this pod right now": input of the suspect-node check. */
const NODE_FAULT_TYPES: ReadonlySet<AlertType> = new Set([
  'not-running',
  'restarted',
  'recreated',
  'check-failed',
]);

// Caps keep one line readable and the email bounded when the API returns a whole HTML page as error.
const MAX_FIELD = 253;
const MAX_ERROR_IN_SUMMARY = 300;
const MAX_ERROR_IN_EMAIL = 2000;
const MAX_PRODUCT = 40;

// ---------------------------------------------------------------------------------------------
// Text hygiene and safe truncation

const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Line/paragraph separators count as line breaks for mail clients; bidi overrides could make a
// label display as something else.
const BREAKING_RE = /[\p{Cc}\p{Zl}\p{Zp}]+/gu;
const BIDI_CONTROL_RE = /[\u202A-\u202E\u2066-\u2069]/g;

/** One line of well-formed text, whitespace collapsed, at most `max` code points. */
function clean(value: string | undefined, max = MAX_FIELD): string {
  if (value === undefined) return '';
  const line = value
    .replace(LONE_SURROGATE_RE, '\uFFFD')
    .replace(BIDI_CONTROL_RE, '')
    .replace(BREAKING_RE, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return truncateCodePoints(line, max);
}

function truncateCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  if (points.length <= max) return text;
  return `${points.slice(0, Math.max(0, max - 1)).join('')}…`;
}

const graphemeSegmenter =
  typeof Intl.Segmenter === 'function'
    ? new Intl.Segmenter(undefined, { granularity: 'grapheme' })
    : undefined;

/**
 * The first user-perceived characters of `text`, enough to fill any budget of `budget` units
 * (every character costs at least one unit). Cutting at grapheme boundaries never splits a
 * surrogate pair and also keeps emoji sequences and combining marks whole.
 */
function leadingGraphemes(text: string, budget: number): string[] {
  let capped = '';
  let count = 0;
  for (const point of text) {
    if (count++ > budget) break;
    capped += point;
  }
  if (graphemeSegmenter === undefined) return Array.from(capped);
  return Array.from(graphemeSegmenter.segment(capped), (s) => s.segment);
}

/**
 * `head + body + tail` if it fits; otherwise the longest grapheme prefix of `body` followed by an
 * ellipsis, keeping head and tail whole (they carry the severity and the "+N more" count). When
 * even that cannot fit, the whole string is cut instead.
 */
function fitParts(
  head: string,
  body: string,
  tail: string,
  fits: (candidate: string) => boolean,
  ellipsis: (withoutEllipsis: string) => string,
  budget: number,
): string {
  const whole = head + body + tail;
  if (fits(whole)) return whole;
  if (head === '' && tail === '' && !fits(ellipsis(''))) return '';
  const pieces = leadingGraphemes(body, budget);
  let best: string | undefined;
  let prefix = '';
  for (let i = 0; i <= pieces.length; i++) {
    // A space right before the ellipsis only wastes room.
    const kept = prefix.trimEnd();
    const candidate = head + kept + ellipsis(head + kept + tail) + tail;
    if (fits(candidate)) best = candidate;
    if (i < pieces.length) prefix += pieces[i];
  }
  if (best !== undefined) return best;
  return fitParts('', whole, '', fits, ellipsis, budget);
}

const utf16Within =
  (max: number) =>
  (s: string): boolean =>
    s.length <= max;

// ---------------------------------------------------------------------------------------------
// SMS encoding (GSM 03.38)

// The basic table without ESC (0x1B), which only introduces an extension character.
const GSM_BASIC = new Set(
  Array.from(
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
      '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  ),
);
const GSM_EXTENSION = new Set(Array.from('\f^{}\\[~]|€'));

/** `gsm7` when every character is in the GSM 03.38 basic or extension table, else `ucs2`. */
export function smsEncoding(text: string): 'gsm7' | 'ucs2' {
  for (const ch of text) {
    if (!GSM_BASIC.has(ch) && !GSM_EXTENSION.has(ch)) return 'ucs2';
  }
  return 'gsm7';
}

/** Septets for GSM-7 (extension characters count 2), UTF-16 units for UCS-2. */
export function smsLength(text: string): number {
  if (smsEncoding(text) === 'ucs2') return text.length;
  let septets = 0;
  for (const ch of text) septets += GSM_EXTENSION.has(ch) ? 2 : 1;
  return septets;
}

/** Whether `text` fits one SMS (140 bytes) in its own encoding. */
export function smsFits(text: string): boolean {
  return smsLength(text) <= SMS_MAX[smsEncoding(text)];
}

// Typographic characters outside GSM-7 would turn an English SMS into UCS-2 and halve its room.
const ASCII_FOR_SMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/→/g, '->'],
  [/…/g, '...'],
  [/[—–]/g, '-'],
  [/[‘’]/g, "'"],
  [/[“”]/g, '"'],
];

function toGsmFriendly(text: string): string {
  let out = text;
  for (const [re, ascii] of ASCII_FOR_SMS) out = out.replace(re, ascii);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Durations and small accessors

/** "2h13m", "45m", "3d4h", "<1m" (zh "2小时13分", "45分钟", "3天4小时", "不到1分钟"). */
export function formatDuration(ms: number, language: Language): string {
  const zh = language === 'zh';
  // Negative spans (clocks of two runs disagreeing) and NaN read as "just now", not as nonsense.
  if (!Number.isFinite(ms) || ms < 60_000) return zh ? '不到1分钟' : '<1m';
  const totalMinutes = Math.floor(ms / 60_000);
  if (totalMinutes < 60) return zh ? `${totalMinutes}分钟` : `${totalMinutes}m`;
  const totalHours = Math.floor(totalMinutes / 60);
  if (totalHours < 24) {
    const minutes = totalMinutes % 60;
    if (zh) return minutes ? `${totalHours}小时${minutes}分` : `${totalHours}小时`;
    return minutes ? `${totalHours}h${minutes}m` : `${totalHours}h`;
  }
  const days = Math.floor(totalHours / 24);
  const hours = totalHours % 24;
  if (zh) return hours ? `${days}天${hours}小时` : `${days}天`;
  return hours ? `${days}d${hours}h` : `${days}d`;
}

/** How long the problem has lasted at this alert, or undefined when a time is missing or unreadable. */
function elapsed(alert: Alert, language: Language): string | undefined {
  if (alert.since === undefined) return undefined;
  const ms = Date.parse(alert.at) - Date.parse(alert.since);
  return Number.isNaN(ms) ? undefined : formatDuration(ms, language);
}

function podLabel(alert: Alert): string {
  if (alert.pod === undefined) return '';
  return clean(alert.pod.name ?? alert.pod.podName);
}

function statusOf(alert: Alert): string {
  return clean(alert.status ?? alert.info?.status, 64);
}

function errorOf(alert: Alert, language: Language, max = MAX_ERROR_IN_SUMMARY): string {
  const error = clean(alert.error, max);
  if (error !== '') return error;
  return language === 'zh' ? '未知错误' : 'unknown error';
}

function restartsAfter(alert: Alert): number | undefined {
  return alert.restartsAfter ?? alert.info?.restartCount;
}

/** The new host, when the pod moved to a different node. */
function movedHost(alert: Alert): { now: string; was: string } | undefined {
  const now = clean(alert.info?.hostName);
  const was = clean(alert.previousHostName);
  return now !== '' && was !== '' && now !== was ? { now, was } : undefined;
}

function shortTaskId(alert: Alert): string {
  const taskId = clean(alert.pod?.taskId);
  return Array.from(taskId).length > 8 ? `${Array.from(taskId).slice(0, 8).join('')}…` : taskId;
}

// ---------------------------------------------------------------------------------------------
// One-line summary

/** One line describing the alert: JSON output, SMS and email all use it. */
export function alertSummary(alert: Alert, language: Language): string {
  return language === 'zh' ? summaryZh(alert) : summaryEn(alert);
}

function summaryEn(alert: Alert): string {
  const label = podLabel(alert) || 'A pod';
  const status = statusOf(alert);
  const since = elapsed(alert, 'en');
  switch (alert.type) {
    case 'not-running': {
      const shown = status || 'not running';
      if (alert.reminder) return since ? `${label} still ${shown} for ${since}` : `${label} still ${shown}`;
      const task = shortTaskId(alert);
      return `${label}${task ? ` (${task})` : ''} is ${shown}`;
    }
    case 'finished':
      return `${label} ${status || 'Succeeded'}: training finished`;
    case 'restarted': {
      const after = restartsAfter(alert);
      if (alert.restartsBefore !== undefined && after !== undefined) {
        return `${label} restarted: restarts ${alert.restartsBefore} → ${after}`;
      }
      return after !== undefined ? `${label} restarted: restarts now ${after}` : `${label} restarted`;
    }
    case 'recreated': {
      let out = `${label} was recreated`;
      const created = createTimes(alert);
      if (created.was && created.now) out += ` (createTime ${created.was} → ${created.now})`;
      else if (created.now) out += ` (createTime now ${created.now})`;
      const moved = movedHost(alert);
      if (moved) out += `, now on ${moved.now} (was ${moved.was})`;
      return out;
    }
    case 'check-failed': {
      const error = errorOf(alert, 'en');
      // Without a pod the whole run failed before any check: the API key could not be read.
      if (alert.pod === undefined) {
        if (!alert.reminder) return `Cannot check any pod: ${error}`;
        return since
          ? `Still cannot check any pod after ${since}: ${error}`
          : `Still cannot check any pod: ${error}`;
      }
      if (!alert.reminder) return `${label} could not be checked: ${error}`;
      return since
        ? `${label} still cannot be checked after ${since}: ${error}`
        : `${label} still cannot be checked: ${error}`;
    }
    case 'auth-failed': {
      const error = errorOf(alert, 'en');
      const n = alert.podsAffected;
      const pods = n === undefined ? '' : ` (${n} ${n === 1 ? 'pod' : 'pods'})`;
      if (!alert.reminder) return `The Alaya API rejected the API key${pods}: ${error}`;
      return `The Alaya API still rejects the API key${since ? ` after ${since}` : ''}${pods}: ${error}`;
    }
    case 'recovered':
      switch (alert.recoveredFrom) {
        case 'not-running':
          return `${label} recovered: ${status || 'Running'} again${since ? ` after ${since}` : ''}`;
        case 'check-failed':
          return alert.pod === undefined ? 'The API key can be read again' : `${label} can be checked again`;
        case 'auth-failed':
          return 'The API key works again';
        default:
          return `${label} recovered`;
      }
  }
}

function summaryZh(alert: Alert): string {
  const label = podLabel(alert) || '某容器组';
  const status = statusOf(alert);
  const since = elapsed(alert, 'zh');
  switch (alert.type) {
    case 'not-running': {
      const shown = status || '未运行';
      if (alert.reminder) return since ? `${label} 仍为 ${shown}，已持续 ${since}` : `${label} 仍为 ${shown}`;
      return `${label} 状态为 ${shown}`;
    }
    case 'finished':
      return `${label} ${status || 'Succeeded'}：训练已完成`;
    case 'restarted': {
      const after = restartsAfter(alert);
      if (alert.restartsBefore !== undefined && after !== undefined) {
        return `${label} 重启：${alert.restartsBefore} → ${after} 次`;
      }
      return after !== undefined ? `${label} 重启：现为 ${after} 次` : `${label} 已重启`;
    }
    case 'recreated': {
      let out = `${label} 已被重建`;
      const created = createTimes(alert);
      if (created.was && created.now) out += `（创建时间 ${created.was} → ${created.now}）`;
      else if (created.now) out += `（创建时间 ${created.now}）`;
      const moved = movedHost(alert);
      if (moved) out += `，现位于 ${moved.now}（原 ${moved.was}）`;
      return out;
    }
    case 'check-failed': {
      const error = errorOf(alert, 'zh');
      if (alert.pod === undefined) {
        if (!alert.reminder) return `无法检查任何容器组：${error}`;
        return since ? `仍无法检查任何容器组，已持续 ${since}：${error}` : `仍无法检查任何容器组：${error}`;
      }
      if (!alert.reminder) return `${label} 无法检查：${error}`;
      return since ? `${label} 仍无法检查，已持续 ${since}：${error}` : `${label} 仍无法检查：${error}`;
    }
    case 'auth-failed': {
      const error = errorOf(alert, 'zh');
      const pods = alert.podsAffected === undefined ? '' : `（${alert.podsAffected} 个容器组）`;
      if (!alert.reminder) return `API 密钥被拒绝${pods}：${error}`;
      return `API 密钥仍被拒绝${since ? `，已持续 ${since}` : ''}${pods}：${error}`;
    }
    case 'recovered':
      switch (alert.recoveredFrom) {
        case 'not-running': {
          const back = !status || status === 'Running' ? '重新运行' : `状态为 ${status}`;
          return `${label} 已恢复：${back}${since ? `（异常持续 ${since}）` : ''}`;
        }
        case 'check-failed':
          return alert.pod === undefined ? 'API 密钥已可读取' : `${label} 已可正常检查`;
        case 'auth-failed':
          return 'API 密钥已恢复可用';
        default:
          return `${label} 已恢复`;
      }
  }
}

function createTimes(alert: Alert): { was: string; now: string } {
  return {
    was: clean(alert.previousCreateTime),
    now: clean(alert.info?.createTime),
  };
}

// ---------------------------------------------------------------------------------------------
// Subject phrase: the headline alert in a few words

function subjectPhrase(alert: Alert, language: Language): string {
  const zh = language === 'zh';
  const label = podLabel(alert) || (zh ? '某容器组' : 'A pod');
  const status = statusOf(alert);
  let phrase: string;
  switch (alert.type) {
    case 'not-running': {
      const shown = status || (zh ? '未运行' : 'not running');
      if (zh) phrase = alert.reminder ? `${label} 仍为 ${shown}` : `${label} 状态为 ${shown}`;
      else phrase = alert.reminder ? `${label} still ${shown}` : `${label} ${shown}`;
      break;
    }
    case 'finished':
      phrase = zh ? `${label} 训练已完成` : `${label} ${status || 'Succeeded'}`;
      break;
    case 'restarted': {
      const after = restartsAfter(alert);
      const counts =
        alert.restartsBefore !== undefined && after !== undefined
          ? `${alert.restartsBefore}→${after}`
          : after !== undefined
            ? `${after}`
            : '';
      if (zh) phrase = counts ? `${label} 重启 ${counts} 次` : `${label} 已重启`;
      else phrase = counts ? `${label} restarted ${counts}` : `${label} restarted`;
      break;
    }
    case 'recreated': {
      const moved = movedHost(alert);
      if (zh) phrase = moved ? `${label} 已重建，现位于 ${moved.now}` : `${label} 已重建`;
      else phrase = moved ? `${label} recreated on ${moved.now}` : `${label} recreated`;
      break;
    }
    case 'check-failed':
      if (alert.pod === undefined) phrase = zh ? '无法检查任何容器组' : 'Cannot check any pod';
      else phrase = zh ? `${label} 无法检查` : `${label} check failed`;
      break;
    case 'auth-failed':
      phrase = zh ? 'API 密钥被拒绝' : 'API key rejected';
      break;
    case 'recovered':
      switch (alert.recoveredFrom) {
        case 'not-running':
          phrase = zh ? `${label} 重新运行` : `${label} ${status || 'Running'} again`;
          break;
        case 'check-failed':
          if (alert.pod === undefined) phrase = zh ? 'API 密钥可以读取' : 'API key readable again';
          else phrase = zh ? `${label} 可以检查` : `${label} checkable again`;
          break;
        case 'auth-failed':
          phrase = zh ? 'API 密钥恢复可用' : 'API key works again';
          break;
        default:
          phrase = zh ? `${label} 已恢复` : `${label} recovered`;
      }
      break;
  }
  return phrase;
}

// ---------------------------------------------------------------------------------------------
// Sorting and grouping

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareAlerts(a: Alert, b: Alert): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (TYPE_RANK.get(a.type) ?? ALERT_TYPES.length) - (TYPE_RANK.get(b.type) ?? ALERT_TYPES.length) ||
    compareText(podLabel(a), podLabel(b)) ||
    compareText(a.pod?.taskId ?? '', b.pod?.taskId ?? '') ||
    compareText(a.pod?.podName ?? '', b.pod?.podName ?? '') ||
    Number(a.reminder) - Number(b.reminder)
  );
}

interface SuspectNode {
  hostName: string;
  hostIp: string;
  labels: string[];
}

/**
 * Nodes on which two or more distinct pods have a problem in this run: when pods fail together on
 * one node, the node (GPU, disk, kubelet) is a likelier cause than each training job.
 */
function suspectNodes(sorted: readonly Alert[]): SuspectNode[] {
  const byHost = new Map<string, { hostIp: string; pods: Map<string, string> }>();
  for (const alert of sorted) {
    if (!NODE_FAULT_TYPES.has(alert.type) || alert.pod === undefined) continue;
    const hostName = clean(alert.info?.hostName);
    if (hostName === '') continue;
    let group = byHost.get(hostName);
    if (group === undefined) {
      group = { hostIp: clean(alert.info?.hostIp), pods: new Map() };
      byHost.set(hostName, group);
    }
    const key = `${alert.pod.taskId}/${alert.pod.podName}`;
    if (!group.pods.has(key)) group.pods.set(key, podLabel(alert));
  }
  return [...byHost]
    .filter(([, g]) => g.pods.size >= 2)
    .map(([hostName, g]) => ({ hostName, hostIp: g.hostIp, labels: [...g.pods.values()].sort(compareText) }))
    .sort((a, b) => b.labels.length - a.labels.length || compareText(a.hostName, b.hostName));
}

// ---------------------------------------------------------------------------------------------
// Language-dependent words of the notification

interface Words {
  severity: Record<Severity, string>;
  /** Subject lead for `n` alerts of the worst severity. */
  lead(severity: Severity, n: number): string;
  recoveredLead: string;
  reminderMark: string;
  subjectMore(n: number): string;
  smsMore(n: number): string;
  colon: string;
  headline(counts: Record<Severity, number>, total: number): string;
  checkedAt: string;
  suspectTitle(n: number): string;
  suspectLine(node: SuspectNode): string;
  blockTag(severity: Severity, reminder: boolean): string;
  field(label: FieldName, value: string): string;
  labels: Record<FieldName, string>;
  wasStatus(status: string): string;
  wasHost(host: string): string;
  wasCreated(time: string): string;
  bestEffort: string;
  sinceFor(duration: string, recovered: boolean): string;
  textMore(n: number): string;
  footer: string[];
}

type FieldName =
  | 'task'
  | 'pod'
  | 'podsAffected'
  | 'status'
  | 'restarts'
  | 'host'
  | 'podIp'
  | 'namespace'
  | 'cluster'
  | 'qos'
  | 'created'
  | 'error'
  | 'since';

const EN_LABELS: Record<FieldName, string> = {
  task: 'Task',
  pod: 'Pod',
  podsAffected: 'Pods affected',
  status: 'Status',
  restarts: 'Restarts',
  host: 'Host',
  podIp: 'Pod IP',
  namespace: 'Namespace',
  cluster: 'Cluster',
  qos: 'QoS class',
  created: 'Created',
  error: 'Error',
  since: 'Since',
};
const EN_LABEL_WIDTH = Math.max(...Object.values(EN_LABELS).map((l) => l.length)) + 2;

const EN: Words = {
  severity: { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' },
  lead(severity, n) {
    if (n === 1) return `${EN.severity[severity]}: `;
    if (severity === 'critical') return `${n} CRITICAL: `;
    return severity === 'warning' ? `${n} warnings: ` : `${n} info: `;
  },
  recoveredLead: 'Recovered: ',
  reminderMark: ' (reminder)',
  subjectMore: (n) => (n > 0 ? ` (+${n} more)` : ''),
  smsMore: (n) => (n > 0 ? ` +${n} more` : ''),
  colon: ': ',
  headline(counts, total) {
    const parts: string[] = [];
    if (counts.critical) parts.push(`${counts.critical} critical`);
    if (counts.warning) parts.push(`${counts.warning} ${counts.warning === 1 ? 'warning' : 'warnings'}`);
    if (counts.info) parts.push(`${counts.info} info`);
    return `${total} ${total === 1 ? 'alert' : 'alerts'} (${parts.join(', ')})`;
  },
  checkedAt: 'Checked at',
  suspectTitle: (n) => (n === 1 ? 'Suspect node' : 'Suspect nodes'),
  suspectLine: (node) =>
    `Node ${node.hostName}${node.hostIp ? ` (${node.hostIp})` : ''}: ${node.labels.length} pods failed together: ` +
    `${node.labels.join(', ')} — the node itself may be at fault.`,
  blockTag: (severity, reminder) => `[${EN.severity[severity]}${reminder ? ', reminder' : ''}]`,
  field: (label, value) => `  ${`${EN_LABELS[label]}:`.padEnd(EN_LABEL_WIDTH)}${value}`,
  labels: EN_LABELS,
  wasStatus: (s) => ` (was ${s})`,
  wasHost: (h) => `, was ${h}`,
  wasCreated: (t) => ` (was ${t})`,
  bestEffort: ' — first to be evicted under node pressure',
  sinceFor: (d, recovered) => (recovered ? ` (lasted ${d})` : ` (${d} ago)`),
  textMore: (n) => `(+${n} more)`,
  footer: [
    'What each alert type means is explained in the README.',
    'When the next reminder of an open problem comes is set by alerts.reminderMinutes in the config.',
  ],
};

const ZH_LABELS: Record<FieldName, string> = {
  task: '任务',
  pod: '容器组',
  podsAffected: '受影响容器组',
  status: '状态',
  restarts: '重启次数',
  host: '节点',
  podIp: '容器组 IP',
  namespace: '命名空间',
  cluster: '集群',
  qos: 'QoS 等级',
  created: '创建时间',
  error: '错误',
  since: '开始于',
};

const ZH: Words = {
  severity: { critical: '严重', warning: '警告', info: '提示' },
  lead: (severity, n) => (n === 1 ? `${ZH.severity[severity]}：` : `${ZH.severity[severity]}（${n} 条）：`),
  recoveredLead: '已恢复：',
  reminderMark: '（提醒）',
  subjectMore: (n) => (n > 0 ? `（另有 ${n} 条）` : ''),
  smsMore: (n) => (n > 0 ? `（另有${n}条）` : ''),
  colon: '：',
  headline(counts, total) {
    const parts: string[] = [];
    if (counts.critical) parts.push(`严重 ${counts.critical} 条`);
    if (counts.warning) parts.push(`警告 ${counts.warning} 条`);
    if (counts.info) parts.push(`提示 ${counts.info} 条`);
    return `共 ${total} 条告警（${parts.join('，')}）`;
  },
  checkedAt: '检查时间',
  suspectTitle: () => '可疑节点',
  suspectLine: (node) =>
    `节点 ${node.hostName}${node.hostIp ? `（${node.hostIp}）` : ''}：${node.labels.length} 个容器组同时出现问题：` +
    `${node.labels.join('、')}，可能是节点本身的故障。`,
  blockTag: (severity, reminder) => `[${ZH.severity[severity]}${reminder ? '·提醒' : ''}]`,
  field: (label, value) => `  ${ZH_LABELS[label]}：${value}`,
  labels: ZH_LABELS,
  wasStatus: (s) => `（之前为 ${s}）`,
  wasHost: (h) => `，原为 ${h}`,
  wasCreated: (t) => `（原为 ${t}）`,
  bestEffort: '（资源紧张时最先被驱逐）',
  sinceFor: (d, recovered) => (recovered ? `（持续了 ${d}）` : `（已持续 ${d}）`),
  textMore: (n) => `（另有 ${n} 条）`,
  footer: ['各告警类型的含义见 README。', '未恢复问题的下一次提醒时间由配置项 alerts.reminderMinutes 决定。'],
};

// ---------------------------------------------------------------------------------------------
// Rendering

/**
 * One notification for the whole run. Throws on an empty list: a run without alerts sends
 * nothing, so being asked to render one is a bug in the caller.
 */
export function renderNotification(alerts: readonly Alert[], options: RenderOptions): Notification {
  if (alerts.length === 0) {
    throw new Error('renderNotification: no alerts to render (a run without alerts sends nothing)');
  }
  const language = options.language;
  const words = language === 'zh' ? ZH : EN;
  const product = clean(options.product, MAX_PRODUCT) || DEFAULT_PRODUCT;
  const sorted = [...alerts].sort(compareAlerts);
  // sorted is non-empty, checked above.
  const top = sorted[0] as Alert;
  const severity = top.severity;
  const types = ALERT_TYPES.filter((t) => sorted.some((a) => a.type === t));
  const allRecovered = sorted.every((a) => a.type === 'recovered');
  const worstCount = sorted.filter((a) => a.severity === severity).length;
  const more = sorted.length - 1;

  const subject = fitParts(
    `[${product}] ${allRecovered ? words.recoveredLead : words.lead(severity, worstCount)}`,
    subjectPhrase(top, language),
    `${top.reminder ? words.reminderMark : ''}${words.subjectMore(more)}`,
    utf16Within(SUBJECT_MAX_UNITS),
    () => '…',
    SUBJECT_MAX_UNITS,
  );

  const summaries = sorted.map((a) => alertSummary(a, language));
  const topSummary = summaries[0] as string;
  const en = language === 'en';
  const smsHead = `${product} ${allRecovered ? words.recoveredLead : `${words.severity[severity]}${words.colon}`}`;
  const sms = fitParts(
    en ? toGsmFriendly(smsHead) : smsHead,
    en ? toGsmFriendly(topSummary) : topSummary,
    words.smsMore(more),
    smsFits,
    (bare) => (smsEncoding(bare) === 'gsm7' ? '...' : '…'),
    SMS_MAX.gsm7,
  );

  return {
    subject,
    email: renderEmail(sorted, summaries, product, words, language),
    sms,
    text: renderText(subject, sorted, summaries, words),
    severity,
    types,
    alerts: sorted,
  };
}

function renderEmail(
  sorted: readonly Alert[],
  summaries: readonly string[],
  product: string,
  words: Words,
  language: Language,
): string {
  const counts: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const a of sorted) counts[a.severity]++;
  const lines: string[] = [`${product}${words.colon}${words.headline(counts, sorted.length)}`];
  // One run shares one clock; the latest time still wins if a caller mixes runs.
  const at = clean(
    sorted
      .map((a) => a.at)
      .sort()
      .at(-1),
  );
  if (at) lines.push(`${words.checkedAt}${words.colon}${at}`);

  const nodes = suspectNodes(sorted);
  if (nodes.length > 0) {
    lines.push('', words.suspectTitle(nodes.length));
    for (const node of nodes) lines.push(`  ${words.suspectLine(node)}`);
  }

  const footer = ['', '--', ...words.footer];
  // Room for the footer and the "not shown" line, with JSON escaping headroom.
  let budget = EMAIL_MAX_BYTES - Buffer.byteLength(footer.join('\n')) - 1_000;
  for (const line of lines) budget -= Buffer.byteLength(line) + 1;
  for (const [i, alert] of sorted.entries()) {
    const block = ['', `${words.blockTag(alert.severity, alert.reminder)} ${summaries[i]}`];
    for (const [name, value] of alertFields(alert, words, language)) block.push(words.field(name, value));
    const size = Buffer.byteLength(block.join('\n')) + 1;
    if (size > budget) {
      const rest = sorted.length - i;
      lines.push(
        '',
        language === 'zh'
          ? `（另有 ${rest} 条告警未列出：邮件已截短以符合 SNS 的 256 KB 上限）`
          : `(+${rest} more alert(s) not shown: the email was cut to fit the 256 KB SNS message limit)`,
      );
      break;
    }
    budget -= size;
    lines.push(...block);
  }

  lines.push(...footer);
  return `${lines.join('\n')}\n`;
}

function alertFields(alert: Alert, words: Words, language: Language): Array<[FieldName, string]> {
  const fields: Array<[FieldName, string]> = [];
  const add = (name: FieldName, value: string): void => {
    if (value !== '') fields.push([name, value]);
  };
  const info = alert.info;
  const pod = alert.pod;
  add('task', clean(pod?.taskId));
  if (pod !== undefined) {
    const podName = clean(pod.podName);
    const name = clean(pod.name);
    add(
      'pod',
      name && name !== podName ? `${podName}${language === 'zh' ? `（${name}）` : ` (${name})`}` : podName,
    );
  }
  if (alert.podsAffected !== undefined) add('podsAffected', String(alert.podsAffected));
  const status = statusOf(alert);
  if (status) {
    const previous = clean(alert.previousStatus, 64);
    add('status', previous && previous !== status ? `${status}${words.wasStatus(previous)}` : status);
  }
  const after = restartsAfter(alert);
  if (alert.restartsBefore !== undefined && after !== undefined)
    add('restarts', `${alert.restartsBefore} → ${after}`);
  else if (after !== undefined) add('restarts', String(after));
  const hostName = clean(info?.hostName);
  if (hostName) {
    const hostIp = clean(info?.hostIp);
    const moved = movedHost(alert);
    const ip = hostIp ? (language === 'zh' ? `（${hostIp}）` : ` (${hostIp})`) : '';
    add('host', `${hostName}${ip}${moved ? words.wasHost(moved.was) : ''}`);
  }
  add('podIp', clean(info?.podIp));
  add('namespace', clean(info?.namespace));
  add('cluster', clean(info?.clusterName));
  const qos = clean(info?.qosClass);
  add('qos', qos === 'BestEffort' ? `${qos}${words.bestEffort}` : qos);
  const created = createTimes(alert);
  if (created.now)
    add('created', created.was ? `${created.now}${words.wasCreated(created.was)}` : created.now);
  if (alert.error !== undefined) add('error', errorOf(alert, language, MAX_ERROR_IN_EMAIL));
  const since = clean(alert.since);
  if (since) {
    const duration = elapsed(alert, language);
    add('since', duration ? `${since}${words.sinceFor(duration, alert.type === 'recovered')}` : since);
  }
  return fields;
}

/** Subject and one line per alert, cut at a whole line with a count of what was left out. */
function renderText(
  subject: string,
  sorted: readonly Alert[],
  summaries: readonly string[],
  words: Words,
): string {
  let text = subject;
  for (let i = 0; i < summaries.length; i++) {
    const line = `\n- ${words.blockTag((sorted[i] as Alert).severity, false)} ${truncateCodePoints(summaries[i] as string, 300)}`;
    const rest = summaries.length - i - 1;
    // Room is kept for the "(+N more)" line that would follow if a later line does not fit.
    const reserve = rest > 0 ? `\n${words.textMore(rest)}`.length : 0;
    if (text.length + line.length + reserve > TEXT_MAX_UNITS) {
      return fitParts(
        '',
        `${text}\n${words.textMore(summaries.length - i)}`,
        '',
        utf16Within(TEXT_MAX_UNITS),
        () => '…',
        TEXT_MAX_UNITS,
      );
    }
    text += line;
  }
  return text;
}
