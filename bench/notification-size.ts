/**
 * How many simultaneous alerts one SNS message can carry. The core sends every alert of a run in
 * one notification, and SNS refuses a Publish over 256 KiB; a run whose Publish is refused keeps its
 * state and fails, so the next run renders the same message and fails again. This finds, per alert
 * kind and language, the largest alert count that still fits, by rendering with the real rules,
 * messages and SnsNotifier (its client replaced by one that only records the command).
 */
import type { PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { SnsNotifier } from '../lambda/adapters/sns-notifier';
import { renderNotification } from '../lambda/core/messages';
import { evaluatePod } from '../lambda/core/rules';
import { ruleSettings } from '../lambda/core/run-check';
import type { Alert, CheckOutcome, PodRef, PodState } from '../lambda/core/types';
import { defaultPodInfo } from '../simulator/fake-alaya-api';
import { SNS_MAX_MESSAGE_BYTES } from './aws-impersonator';
import { benchConfig, benchPods } from './pods';

/** The config schema's own maximum: the most alerts one run can raise for pods. */
export const MAX_CONFIG_PODS = 5_000;

export type AlertKind = 'not-running' | 'restarted' | 'check-failed';
const KINDS: readonly AlertKind[] = ['not-running', 'restarted', 'check-failed'];
const LANGUAGES = ['en', 'zh'] as const;

export interface NotificationSizeCase {
  kind: AlertKind;
  language: 'en' | 'zh';
  /** Publish size (message plus attributes) with 1 and with 1,000 such alerts. */
  bytesForOne: number;
  bytesFor1000: number;
  /** With one such alert for every pod of the largest config the schema accepts. */
  bytesForMax: number;
  /** The largest number of such alerts whose Publish fits SNS_MAX_MESSAGE_BYTES. */
  maxAlerts: number;
}

/** Message plus attribute names, types and values: what SNS counts against its limit. */
export function publishBytes(input: PublishCommandInput): number {
  let bytes = Buffer.byteLength(input.Message ?? '');
  for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
    bytes +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

function alertsOf(kind: AlertKind, count: number): Alert[] {
  const settings = ruleSettings(benchConfig({ pods: 1, apiBaseUrl: 'http://127.0.0.1:1', concurrency: 1 }));
  const now = new Date('2026-11-28T08:00:00.000Z');
  const running: CheckOutcome = { ok: true, pod: defaultPodInfo() };
  // The text AlayaHttpClient gives a gateway error page, repeated until the threshold is reached.
  const gatewayError: CheckOutcome = {
    ok: false,
    error: { kind: 'http', message: 'HTTP 502 from the API (text/html; charset=utf-8 body, not JSON)' },
  };
  const raise: Record<AlertKind, (pod: PodRef) => Alert[]> = {
    'not-running': (pod) =>
      evaluatePod(pod, undefined, { ok: true, pod: defaultPodInfo({ status: 'Failed' }) }, now, settings)
        .alerts,
    restarted: (pod) => {
      const seen = evaluatePod(pod, undefined, running, now, settings).state;
      return evaluatePod(pod, seen, { ok: true, pod: defaultPodInfo({ restartCount: 1 }) }, now, settings)
        .alerts;
    },
    'check-failed': (pod) => {
      let state: PodState | undefined;
      let alerts: Alert[] = [];
      for (let i = 0; i < settings.checkFailureThreshold; i++) {
        ({ state, alerts } = evaluatePod(pod, state, gatewayError, now, settings));
      }
      return alerts;
    },
  };
  return benchPods(count).flatMap(raise[kind]);
}

async function publishSize(alerts: readonly Alert[], language: 'en' | 'zh'): Promise<number> {
  let input: PublishCommandInput | undefined;
  const client = {
    send: async (command: { input: PublishCommandInput }) => {
      input = command.input;
      return {};
    },
  } as unknown as SNSClient;
  await new SnsNotifier({ client, topicArn: 'arn:aws:sns:us-east-1:123456789012:size' }).send(
    renderNotification(alerts, { language }),
  );
  if (!input) throw new Error('SnsNotifier did not publish');
  return publishBytes(input);
}

export async function measureNotificationSizes(): Promise<NotificationSizeCase[]> {
  const cases: NotificationSizeCase[] = [];
  for (const kind of KINDS) {
    const alerts = alertsOf(kind, MAX_CONFIG_PODS);
    if (alerts.length !== MAX_CONFIG_PODS)
      throw new Error(`expected one ${kind} alert per pod, got ${alerts.length}`);
    for (const language of LANGUAGES) {
      const size = (n: number) => publishSize(alerts.slice(0, n), language);
      // Size grows with the alert count, so a binary search finds the last count that fits.
      let lo = 0;
      let hi = MAX_CONFIG_PODS;
      if ((await size(hi)) <= SNS_MAX_MESSAGE_BYTES) lo = hi;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if ((await size(mid)) <= SNS_MAX_MESSAGE_BYTES) lo = mid;
        else hi = mid;
      }
      cases.push({
        kind,
        language,
        bytesForOne: await size(1),
        bytesFor1000: await size(1000),
        bytesForMax: await size(MAX_CONFIG_PODS),
        maxAlerts: lo,
      });
    }
  }
  return cases;
}
