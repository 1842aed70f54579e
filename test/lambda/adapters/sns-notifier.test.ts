import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SUBJECT_CHARS, SnsNotifier, sanitizeSubject } from '../../../lambda/adapters/sns-notifier';
import { NotifyError } from '../../../lambda/core/errors';
import type { Notification } from '../../../lambda/core/types';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alaya-pod-watch-alerts';
const sns = mockClient(SNSClient);

const notification: Notification = {
  subject: '[critical] 2 pods need attention: train-a not running, train-b restarted',
  email: 'train-a (task-1/pod-0) is Pending since 10:00.\ntrain-b restarted 3 -> 4 times.\n',
  sms: 'CRIT train-a Pending; train-b restarted',
  text: '2 pods need attention',
  severity: 'critical',
  types: ['not-running', 'restarted'],
  alerts: [],
};

describe('SnsNotifier', () => {
  let client: SNSClient;

  beforeEach(() => {
    sns.reset();
    client = new SNSClient({});
  });
  afterEach(() => client.destroy());

  it('publishes once with a per-protocol message and the filterable attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const notifier = new SnsNotifier({ client, topicArn: TOPIC });

    await notifier.send(notification);

    expect(notifier.publishCount).toBe(1);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input).toEqual({
      TopicArn: TOPIC,
      MessageStructure: 'json',
      Message: expect.any(String),
      Subject: notification.subject,
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'critical' },
        type: { DataType: 'String.Array', StringValue: '["not-running","restarted"]' },
        'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
      },
    });
    expect(JSON.parse(input?.Message ?? '')).toEqual({
      default: notification.text,
      email: notification.email,
      sms: notification.sms,
    });
  });

  it('makes the subject acceptable to SNS', async () => {
    sns.on(PublishCommand).resolves({});
    const notifier = new SnsNotifier({ client, topicArn: TOPIC });
    await notifier.send({ ...notification, subject: `  line one\r\nline\ttwo\u0007 ${'x'.repeat(200)}` });
    const subject = sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject ?? '';
    expect(subject.startsWith('line one line two x')).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
    expect(subject).not.toMatch(/\p{Cc}/u);
  });

  it.each([
    ['a short subject unchanged', 'Pod train-a recovered', 'Pod train-a recovered'],
    ['an empty subject replaced', ' \n ', 'Alaya pod watch'],
    ['a code point never split', '🚨'.repeat(150), `${'🚨'.repeat(MAX_SUBJECT_CHARS - 3)}...`],
  ])('sanitizeSubject keeps %s', (_label, input, expected) => {
    expect(sanitizeSubject(input)).toBe(expected);
  });

  it('turns an SDK failure into a NotifyError naming the topic and error, not the content', async () => {
    const cause = new SNSServiceException({
      name: 'AuthorizationErrorException',
      message: 'User is not authorized to perform SNS:Publish',
      $fault: 'client',
      $metadata: {},
    });
    sns.on(PublishCommand).rejects(cause);
    const notifier = new SnsNotifier({ client, topicArn: TOPIC });

    const error = await notifier.send(notification).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NotifyError);
    expect((error as NotifyError).message).toBe(
      `publishing to SNS topic ${TOPIC} failed (AuthorizationErrorException)`,
    );
    expect((error as NotifyError).message).not.toContain('train-a');
    expect((error as NotifyError).cause).toBe(cause);
    expect(notifier.publishCount).toBe(1);
  });
});
