import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { NotifyError } from '../core/errors';
import type { Notifier } from '../core/ports';
import type { Notification } from '../core/types';

export interface SnsNotifierOptions {
  /** Built once at module scope by the handler, with default config so AWS_ENDPOINT_URL_* applies. */
  client: SNSClient;
  topicArn: string;
}

/** SNS rejects a Subject of 100 characters or more. */
export const MAX_SUBJECT_CHARS = 99;
const FALLBACK_SUBJECT = 'Alaya pod watch';

/**
 * Publishes each grouped notification once, with a per-protocol body: email subscribers get the
 * long text, SMS the short one. The SMS subscription filters on the `severity` attribute, so a
 * missing or misspelt attribute silently stops text messages: both attributes are always sent.
 */
export class SnsNotifier implements Notifier {
  /** Publish calls made (successful or not), for the benchmark. */
  publishCount = 0;

  private readonly client: SNSClient;
  private readonly topicArn: string;

  constructor(options: SnsNotifierOptions) {
    this.client = options.client;
    this.topicArn = options.topicArn;
  }

  async send(n: Notification): Promise<void> {
    const command = new PublishCommand({
      TopicArn: this.topicArn,
      MessageStructure: 'json',
      Message: JSON.stringify({ default: n.text, email: n.email, sms: n.sms }),
      Subject: sanitizeSubject(n.subject),
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: n.severity },
        type: { DataType: 'String.Array', StringValue: JSON.stringify(n.types) },
        // Alerts are not marketing: transactional SMS get the delivery priority (and are not
        // blocked by opt-out rules for promotional traffic) in the countries that distinguish them.
        'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
      },
    });
    this.publishCount++;
    try {
      await this.client.send(command);
    } catch (error) {
      // The message text stays out: it may be long, and the caller logs this error.
      const name = error instanceof Error && error.name ? error.name : 'UnknownError';
      throw new NotifyError(`publishing to SNS topic ${this.topicArn} failed (${name})`, { cause: error });
    }
  }
}

/**
 * SNS refuses the whole Publish for a Subject with line breaks, control characters or 100+
 * characters; losing an alert over its title would be worse than a shortened title.
 */
export function sanitizeSubject(subject: string): string {
  const flat = subject
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  // Array.from splits by code point so that an emoji or CJK character is never cut in half.
  const chars = Array.from(flat);
  const cut =
    chars.length > MAX_SUBJECT_CHARS
      ? `${chars
          .slice(0, MAX_SUBJECT_CHARS - 3)
          .join('')
          .trimEnd()}...`
      : flat;
  return cut === '' ? FALLBACK_SUBJECT : cut;
}
