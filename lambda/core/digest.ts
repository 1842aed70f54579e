/**
 * The daily digest: every pod and its state in one message, so a quiet day is visibly a healthy day.
 */
import type { Language } from './messages';
import { EMAIL_MAX_BYTES, renderNotification } from './messages';
import type { Alert, Health, Notification, PodReport } from './types';

const HEALTH_LABEL: Record<Language, Record<Health, string>> = {
  en: { ok: 'ok', 'not-running': 'not running', finished: 'finished', 'check-failed': 'cannot be checked' },
  zh: { ok: '正常', 'not-running': '未运行', finished: '已完成', 'check-failed': '无法检查' },
};

export function digestHeadline(reports: readonly PodReport[], language: Language): string {
  const counts = new Map<Health, number>();
  for (const r of reports) counts.set(r.health, (counts.get(r.health) ?? 0) + 1);
  const parts = (['ok', 'not-running', 'check-failed', 'finished'] as const)
    .filter((h) => counts.get(h))
    .map((h) => `${counts.get(h)} ${HEALTH_LABEL[language][h]}`);
  return language === 'zh'
    ? `每日摘要：${reports.length} 个容器组，${parts.join('，')}`
    : `Daily digest: ${reports.length} pod(s), ${parts.join(', ')}`;
}

/**
 * The digest as text, at most `maxBytes` long: pods that do not fit are counted in a last line, so
 * a fleet of thousands still fits one SNS message (256 KB).
 */
export function renderDigestSection(
  reports: readonly PodReport[],
  language: Language,
  maxBytes: number = EMAIL_MAX_BYTES,
): string {
  const lines = reports.map((r) => {
    const label = r.pod.name ?? r.pod.podName;
    const status = r.status ?? '-';
    const restarts = r.restartCount === undefined ? '-' : String(r.restartCount);
    const detail = r.health === 'check-failed' && r.error ? ` (${r.error.slice(0, 200)})` : '';
    return language === 'zh'
      ? `- ${label}：${HEALTH_LABEL.zh[r.health]}，状态 ${status}，重启 ${restarts} 次，节点 ${r.hostName ?? '-'}${detail}`
      : `- ${label}: ${HEALTH_LABEL.en[r.health]}, status ${status}, restarts ${restarts}, host ${r.hostName ?? '-'}${detail}`;
  });
  const head = [digestHeadline(reports, language), ''];
  // Room for the "not listed" line.
  let budget = maxBytes - Buffer.byteLength(head.join('\n')) - 200;
  const shown: string[] = [];
  for (const line of lines) {
    const size = Buffer.byteLength(line) + 1;
    if (size > budget) break;
    budget -= size;
    shown.push(line);
  }
  const rest = lines.length - shown.length;
  if (rest > 0) {
    shown.push(
      language === 'zh'
        ? `（另有 ${rest} 个容器组未列出：摘要已截短以符合 SNS 的 256 KB 上限）`
        : `(+${rest} more pod(s) not listed: the digest was cut to fit the 256 KB SNS message limit)`,
    );
  }
  return [...head, ...shown].join('\n');
}

/**
 * One notification for the run: the alerts (if any) with the digest appended (if due). A digest
 * alone is an `info` message whose subject is the digest headline.
 */
export function renderRunNotification(
  alerts: Alert[],
  digest: readonly PodReport[] | undefined,
  language: Language,
): Notification | undefined {
  if (alerts.length === 0 && !digest) return undefined;
  if (!digest) return renderNotification(alerts, { language });
  if (alerts.length > 0) {
    const n = renderNotification(alerts, { language });
    // Alerts first; the digest gets what is left of the email's size budget.
    const section = renderDigestSection(digest, language, EMAIL_MAX_BYTES - Buffer.byteLength(n.email));
    return { ...n, email: `${n.email.trimEnd()}\n\n${section}\n`, digest: true };
  }
  const section = renderDigestSection(digest, language);
  const headline = digestHeadline(digest, language);
  const subject = `[alaya-pod-watch] ${headline}`;
  return {
    subject: subject.length > 99 ? `${subject.slice(0, 98)}…` : subject,
    email: `${section}\n`,
    sms: headline.slice(0, 60),
    text: `${subject}\n${section}`.slice(0, 1000),
    severity: 'info',
    types: [],
    alerts: [],
    digest: true,
  };
}
