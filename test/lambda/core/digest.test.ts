import { describe, expect, it } from 'vitest';
import { digestHeadline, renderDigestSection, renderRunNotification } from '../../../lambda/core/digest';
import { EMAIL_MAX_BYTES } from '../../../lambda/core/messages';
import type { Alert, PodReport } from '../../../lambda/core/types';
import { podInfo, TASK } from '../../support/fakes';

const report = (i: number, health: PodReport['health'] = 'ok'): PodReport => ({
  pod: { taskId: TASK, podName: `trainer-${i}-${'x'.repeat(40)}` },
  health,
  status: health === 'ok' ? 'Running' : 'Failed',
  restartCount: 0,
  hostName: 'gpu-node-021',
  ...(health === 'check-failed' ? { error: `no complete answer within 10 s ${'e'.repeat(150)}` } : {}),
});

describe('digest', () => {
  it('counts pods by health in the headline, in both languages', () => {
    const reports = [report(0), report(1), report(2, 'not-running'), report(3, 'check-failed')];
    expect(digestHeadline(reports, 'en')).toBe(
      'Daily digest: 4 pod(s), 2 ok, 1 not running, 1 cannot be checked',
    );
    expect(digestHeadline(reports, 'zh')).toBe('每日摘要：4 个容器组，2 正常，1 未运行，1 无法检查');
  });

  it('lists every pod of a small fleet', () => {
    const text = renderDigestSection([report(0), report(1, 'not-running')], 'en');
    expect(text).toContain('trainer-0');
    expect(text).toMatch(/trainer-1-x+: not running, status Failed/);
    expect(text).not.toContain('not listed');
  });

  it('stays within the SNS size budget for 5,000 pods and says how many are not listed', () => {
    const reports = Array.from({ length: 5_000 }, (_, i) => report(i, i % 3 === 0 ? 'check-failed' : 'ok'));
    const n = renderRunNotification([], reports, 'en');
    expect(n).toBeDefined();
    const size = Buffer.byteLength(JSON.stringify({ default: n?.text, email: n?.email, sms: n?.sms }));
    expect(size).toBeLessThan(256 * 1024);
    expect(Buffer.byteLength(n?.email ?? '')).toBeLessThanOrEqual(EMAIL_MAX_BYTES);
    expect(n?.email).toMatch(/\(\+\d+ more pod\(s\) not listed/);
  });

  it('gives the digest only what the alerts left of the budget when both go out', () => {
    const alerts: Alert[] = Array.from({ length: 1_500 }, (_, i) => ({
      type: 'not-running',
      severity: 'critical',
      reminder: false,
      pod: { taskId: TASK, podName: `p-${i}` },
      status: 'Failed',
      info: podInfo({ status: 'Failed' }),
      at: '2026-11-28T01:00:00.000Z',
    }));
    const reports = Array.from({ length: 4_000 }, (_, i) => report(i));
    const n = renderRunNotification(alerts, reports, 'zh');
    expect(n?.digest).toBe(true);
    expect(Buffer.byteLength(n?.email ?? '')).toBeLessThanOrEqual(EMAIL_MAX_BYTES + 1_000);
    expect(n?.email).toContain('个容器组未列出');
  });

  it('sends nothing when there is neither an alert nor a digest', () => {
    expect(renderRunNotification([], undefined, 'en')).toBeUndefined();
  });
});
