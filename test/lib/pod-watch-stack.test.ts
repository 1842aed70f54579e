import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lambda/config/config';
import {
  BUNDLED_CONFIG_FILE_NAME,
  EMPTY_API_KEY_SECRET,
  RUNTIME_CONFIG_FILE_PREFIX,
  runtimeConfigHooks,
} from '../../lib/pod-watch-stack';
import { heartbeatPeriodSeconds, maxEventAgeSeconds } from '../../lib/schedule-timing';
import {
  buildPodWatch,
  flat,
  type Json,
  manyPods,
  nagFindings,
  type SynthResult,
  synthPodWatch,
  testConfig,
  testTempDir,
} from '../support/cdk';

const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

function resources(r: SynthResult, type: string): [string, Json][] {
  return Object.entries(r.template.findResources(type)) as [string, Json][];
}

function props(r: SynthResult, type: string): Json[] {
  return resources(r, type).map(([, res]) => res.Properties as Json);
}

function only(r: SynthResult, type: string): Json {
  const all = props(r, type);
  expect(all).toHaveLength(1);
  return all[0] as Json;
}

interface Statement {
  in: string;
  effect: string;
  actions: string[];
  resources: string[];
}

/** Every identity-policy statement in the template: role inline policies and AWS::IAM::Policy. */
function iamStatements(r: SynthResult): Statement[] {
  const out: Statement[] = [];
  const add = (where: string, doc: Json) => {
    for (const s of list(doc.Statement as Json[])) {
      out.push({
        in: where,
        effect: String(s.Effect),
        actions: list(s.Action as string[]).sort(),
        resources: list(s.Resource).map(flat).sort(),
      });
    }
  };
  for (const [id, role] of resources(r, 'AWS::IAM::Role')) {
    for (const p of list((role.Properties as Json).Policies as Json[])) add(id, p.PolicyDocument as Json);
  }
  for (const [id, policy] of resources(r, 'AWS::IAM::Policy'))
    add(id, (policy.Properties as Json).PolicyDocument as Json);
  return out;
}

function environment(r: SynthResult): Record<string, unknown> {
  return (only(r, 'AWS::Lambda::Function').Environment as Json).Variables as Record<string, unknown>;
}

const STACK = 'PodWatchTest';
const SECRET_ARN = 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:alaya/api-key-AbC123';

// Synthesized once each and shared: every synth also runs cdk-nag, as `cdk synth` does.
const base = synthPodWatch(
  testConfig({
    alerts: {
      emails: ['oncall@example.com', 'lead@example.com'],
      phones: ['+8613800138000'],
      smsSeverities: ['critical', 'warning'],
    },
  }),
  STACK,
);
const cron = synthPodWatch(
  testConfig({
    schedule: 'cron(0/10 8-20 ? * MON-FRI *)',
    timezone: 'Asia/Shanghai',
    runIntervalMinutes: 3_550,
    apiKeySecret: 'alaya/pod-watch-api-key',
    lambda: { reserveConcurrency: false, memorySizeMb: 512 },
    alerts: { emails: ['oncall@example.com'] },
  }),
  'PodWatchCron',
);
const large = synthPodWatch(testConfig({ pods: manyPods(1_000) }), 'PodWatchLarge');

describe('schedule', () => {
  it('runs the function on the configured rate, default rate(5 minutes), with retries and a DLQ', () => {
    const schedule = only(base, 'AWS::Scheduler::Schedule');
    expect(schedule.ScheduleExpression).toBe('rate(5 minutes)');
    expect(schedule.State).toBe('ENABLED');
    const target = schedule.Target as Json;
    expect(flat(target.Arn)).toBe(`<${logicalId(base.stack.function)}.Arn>`);
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 });
    expect(flat((target.DeadLetterConfig as Json).Arn)).toBe(
      `<${logicalId(base.stack.deadLetterQueue)}.Arn>`,
    );
  });

  it('evaluates a cron in the configured time zone', () => {
    const schedule = only(cron, 'AWS::Scheduler::Schedule');
    expect(schedule.ScheduleExpression).toBe('cron(0/10 8-20 ? * MON-FRI *)');
    expect(schedule.ScheduleExpressionTimezone).toBe('Asia/Shanghai');
    expect((schedule.Target as Json).RetryPolicy).toEqual({
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
    });
  });

  it('drops stale ticks instead of retrying them: Lambda does not retry, events expire after one interval', () => {
    expect(only(base, 'AWS::Lambda::EventInvokeConfig')).toMatchObject({
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
      Qualifier: '$LATEST',
    });
    expect(maxEventAgeSeconds('rate(1 minute)', 86_400)).toBe(60);
    expect(maxEventAgeSeconds('rate(2 days)', 86_400)).toBe(86_400);
    expect(maxEventAgeSeconds('rate(2 days)', 6 * 3_600)).toBe(21_600);
  });
});

describe('function', () => {
  it('is Node.js 24 on arm64 with the bundled handler, its own role and log group', () => {
    const fn = only(base, 'AWS::Lambda::Function');
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.Handler).toBe('index.handler');
    expect(fn.MemorySize).toBe(256);
    expect(flat(fn.Role)).toBe(`<${logicalId(base.stack.node.findChild('HandlerRole'))}.Arn>`);
    const logGroupId = logicalId(base.stack.node.findChild('HandlerLogs'));
    expect(flat((fn.LoggingConfig as Json).LogGroup)).toBe(`<${logGroupId}>`);
    base.template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 90 } });
  });

  it('reserves a concurrency of 1 by default and none when switched off', () => {
    expect(only(base, 'AWS::Lambda::Function').ReservedConcurrentExecutions).toBe(1);
    const fn = only(cron, 'AWS::Lambda::Function');
    expect(fn).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(fn.MemorySize).toBe(512);
  });

  it('sizes the timeout and the lease from the pods, concurrency and request timeout', () => {
    expect(only(base, 'AWS::Lambda::Function').Timeout).toBe(68);
    expect(environment(base).LEASE_TTL_SECONDS).toBe('128');
    expect(only(large, 'AWS::Lambda::Function').Timeout).toBe(900);
    expect(environment(large).LEASE_TTL_SECONDS).toBe('960');
  });

  it('passes resource names in the environment and the config in the bundle', () => {
    const env = environment(base);
    expect(Object.keys(env).sort()).toEqual([
      'API_KEY_SECRET_ID',
      'LEASE_TTL_SECONDS',
      'NODE_OPTIONS',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      'TABLE_NAME',
      'TOPIC_ARN',
    ]);
    expect(flat(env.TABLE_NAME)).toBe(`<${logicalId(base.stack.table)}>`);
    expect(flat(env.TOPIC_ARN)).toBe(`<${logicalId(base.stack.topic)}>`);
    expect(env.POWERTOOLS_SERVICE_NAME).toBe(STACK);
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe('AlayaPodWatch');
    expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it('keeps the environment far under the 4 KB limit with 1,000 pods', () => {
    const env = environment(large);
    // Tokens become names and ARNs of at most 256 characters at deploy time.
    const deployedSize = Object.entries(env).reduce(
      (n, [k, v]) => n + k.length + (typeof v === 'string' ? v.length : 256),
      0,
    );
    expect(deployedSize).toBeLessThan(4 * 1024);
    expect(JSON.stringify(env)).not.toContain('tn-exqr5k7lvj7k');
    // Same variables as the two-pod stack: the environment does not grow with the pod list.
    expect(Object.keys(env).sort()).toEqual(Object.keys(environment(base)).sort());
  });

  it('writes the validated config to the assembly for the bundling hook to copy in', () => {
    const files = readdirSync(large.app.outdir).filter((f) => f.startsWith(RUNTIME_CONFIG_FILE_PREFIX));
    const written = files.map((f) => JSON.parse(readFileSync(join(large.app.outdir, f), 'utf8')));
    // The file is what the handler will parse: the normalised config, defaults included.
    expect(written).toEqual([large.config]);
  });

  it('copies the runtime config into the bundle as config.json', () => {
    const work = testTempDir('hook');
    const source = join(work, 'runtime.json');
    execSync(`node -e "require('fs').writeFileSync(process.argv[1], '{\\"pods\\":[]}')" "${source}"`);
    const hooks = runtimeConfigHooks(source);
    expect(hooks.beforeBundling()).toEqual([]);
    expect(hooks.beforeInstall()).toEqual([]);
    for (const command of hooks.afterBundling('/unused', work)) execSync(command);
    expect(readFileSync(join(work, BUNDLED_CONFIG_FILE_NAME), 'utf8')).toBe('{"pods":[]}');
  });
});

describe('IAM', () => {
  it('grants exactly these statements and nothing else', () => {
    const stack = base.stack;
    const logGroup = logicalId(stack.node.findChild('HandlerLogs'));
    const handlerRole = logicalId(stack.node.findChild('HandlerRole'));
    const statements = iamStatements(base);
    const expected: Omit<Statement, 'in'>[] = [
      {
        effect: 'Allow',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [
          `arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<${logGroup}>:log-stream:*`,
        ],
      },
      {
        effect: 'Allow',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [`<${logicalId(stack.node.findChild('ApiKeySecret'))}>`],
      },
      { effect: 'Allow', actions: ['sns:Publish'], resources: [`<${logicalId(stack.topic)}>`] },
      {
        effect: 'Allow',
        actions: ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem'],
        resources: [`<${logicalId(stack.table)}.Arn>`],
      },
      {
        effect: 'Allow',
        actions: ['lambda:InvokeFunction'],
        resources: [`<${logicalId(stack.function)}.Arn>`],
      },
      {
        effect: 'Allow',
        actions: ['sqs:SendMessage'],
        resources: [`<${logicalId(stack.deadLetterQueue)}.Arn>`],
      },
    ];
    expect(statements.map(({ in: _, ...s }) => s)).toEqual(expected);
    // The handler's permissions are its own inline policy; the scheduler's sit on the scheduler role.
    expect(statements.slice(0, 4).every((s) => s.in === handlerRole)).toBe(true);
  });

  it('has no wildcard action, and its one wildcard resource is the log-stream ARN', () => {
    for (const r of [base, cron, large]) {
      const statements = iamStatements(r);
      expect(statements.flatMap((s) => s.actions).filter((a) => a.includes('*'))).toEqual([]);
      const wildcards = statements.flatMap((s) => s.resources).filter((res) => res.includes('*'));
      expect(wildcards).toHaveLength(1);
      expect(wildcards[0]).toMatch(/:log-group:<HandlerLogs[0-9A-F]+>:log-stream:\*$/);
    }
  });

  it('attaches no managed policy to any role, and each role trusts only its service', () => {
    const roles = props(base, 'AWS::IAM::Role');
    expect(roles).toHaveLength(2);
    for (const role of roles) expect(role).not.toHaveProperty('ManagedPolicyArns');
    const principals = roles.map((role) =>
      list((role.AssumeRolePolicyDocument as Json).Statement as Json[]).map(
        (s) => (s.Principal as Json).Service,
      ),
    );
    expect(principals.flat().sort()).toEqual(['lambda.amazonaws.com', 'scheduler.amazonaws.com']);
  });
});

describe('alarms', () => {
  const topic = () => `<${logicalId(base.stack.topic)}>`;
  const alarm = (metricName: string) => {
    const found = props(base, 'AWS::CloudWatch::Alarm').filter((a) => a.MetricName === metricName);
    expect(found).toHaveLength(1);
    return found[0] as Json;
  };

  it('has exactly the three alarms, all notifying the topic', () => {
    const alarms = props(base, 'AWS::CloudWatch::Alarm');
    expect(alarms.map((a) => a.MetricName).sort()).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'Errors',
      'RunsSucceeded',
    ]);
    for (const a of alarms) expect(list(a.AlarmActions).map(flat)).toEqual([topic()]);
  });

  it('alarms on any function error', () => {
    const a = alarm('Errors');
    expect(a).toMatchObject({
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(list(a.Dimensions as Json[]).map((d) => [d.Name, flat(d.Value)])).toEqual([
      ['FunctionName', `<${logicalId(base.stack.function)}>`],
    ]);
  });

  it('alarms when no run succeeded in 3 schedule periods, missing data counting as failure, and says when it recovers', () => {
    const a = alarm('RunsSucceeded');
    expect(a).toMatchObject({
      Namespace: 'AlayaPodWatch',
      Dimensions: [{ Name: 'service', Value: STACK }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 3,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(list(a.OKActions).map(flat)).toEqual([topic()]);
  });

  it('watches a cron schedule over its declared longest gap, capped by CloudWatch', () => {
    const a = props(cron, 'AWS::CloudWatch::Alarm').find((x) => x.MetricName === 'RunsSucceeded');
    // 3,550 minutes (the weekend) is more than 56 h: capped so that 3 periods fit in 7 days.
    expect(a).toMatchObject({
      Period: 201_600,
      EvaluationPeriods: 3,
      Dimensions: [{ Value: 'PodWatchCron' }],
    });
  });

  it('alarms when a scheduled invocation lands in the dead-letter queue', () => {
    const a = alarm('ApproximateNumberOfMessagesVisible');
    expect(a).toMatchObject({
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(flat((a.Dimensions as Json[])[0]?.Value)).toBe(
      `<${logicalId(base.stack.deadLetterQueue)}.QueueName>`,
    );
  });

  it('lets CloudWatch publish these alarms to the TLS-only topic', () => {
    const statements = (only(base, 'AWS::SNS::TopicPolicy').PolicyDocument as Json).Statement as Json[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sns:Publish',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const allow = statements.find((s) => s.Effect === 'Allow') as Json;
    expect(allow.Principal).toEqual({ Service: 'cloudwatch.amazonaws.com' });
    expect(allow.Action).toBe('sns:Publish');
    const sources = ((allow.Condition as Json).ArnLike as Json)['aws:SourceArn'] as unknown[];
    expect(sources.map(flat).sort()).toEqual(
      ['ErrorsAlarm', 'HeartbeatAlarm', 'DeadLetterQueueAlarm']
        .map((id) => `<${logicalId(base.stack.node.findChild(id))}.Arn>`)
        .sort(),
    );
  });
});

describe('heartbeatPeriodSeconds', () => {
  it.each([
    ['rate(5 minutes)', 60, 300],
    ['rate(1 minute)', 60, 60],
    ['rate(1 minute)', 900, 900], // a long run delays the next success: never shorter than the timeout
    ['rate(1 minute)', 61, 120], // rounded up to whole minutes
    ['rate(1 hour)', 60, 3_600],
    ['rate(1 day)', 60, 86_400],
    ['rate(2 days)', 60, 172_800],
    ['rate(3 days)', 60, 201_600], // capped so that 3 periods stay within CloudWatch's 7 days
    ['rate(7 days)', 60, 201_600],
    ['cron(0 * * * ? *)', 60, 3_600, 60],
    ['cron(0/10 * * * ? *)', 60, 600, 10],
    ['cron(0/10 8-20 ? * MON-FRI *)', 60, 201_600, 3_550],
  ])('%s with a %i s timeout → %i s', (schedule, timeout, expected, runIntervalMinutes?: number) => {
    const period = heartbeatPeriodSeconds(schedule, timeout, runIntervalMinutes);
    expect(period).toBe(expected);
    expect(period % 60).toBe(0);
    expect(period * 3).toBeLessThanOrEqual(period < 3_600 ? 86_400 : 604_800);
  });

  it('refuses a rate that no CloudWatch alarm can watch', () => {
    expect(() => heartbeatPeriodSeconds('rate(8 days)', 60)).toThrow(ConfigError);
    expect(() => heartbeatPeriodSeconds('rate(8 days)', 60)).toThrow(/^schedule: rate\(8 days\)/);
  });
});

describe('alerts topic', () => {
  it('is not encrypted with a KMS key (CloudWatch alarms could not publish to alias/aws/sns)', () => {
    expect(only(base, 'AWS::SNS::Topic')).not.toHaveProperty('KmsMasterKeyId');
  });

  it('subscribes each email, and each phone by SMS filtered on the severity attribute', () => {
    const subs = props(base, 'AWS::SNS::Subscription');
    const emails = subs.filter((s) => s.Protocol === 'email');
    expect(emails.map((s) => s.Endpoint).sort()).toEqual(['lead@example.com', 'oncall@example.com']);
    for (const s of emails) expect(s).not.toHaveProperty('FilterPolicy');
    const sms = subs.filter((s) => s.Protocol === 'sms');
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatchObject({
      Endpoint: '+8613800138000',
      FilterPolicy: { severity: ['critical', 'warning'] },
    });
    expect(sms[0]?.FilterPolicyScope ?? 'MessageAttributes').toBe('MessageAttributes');
    expect(subs).toHaveLength(3);
    for (const s of subs) expect(flat(s.TopicArn)).toBe(`<${logicalId(base.stack.topic)}>`);
  });

  it('has no SMS subscription when no phone is configured', () => {
    expect(props(cron, 'AWS::SNS::Subscription').map((s) => s.Protocol)).toEqual(['email']);
  });
});

describe('API key secret', () => {
  it('is created empty when the config names none, so the key never passes through CloudFormation', () => {
    const secret = only(base, 'AWS::SecretsManager::Secret');
    expect(secret.SecretString).toBe(EMPTY_API_KEY_SECRET);
    expect(JSON.parse(EMPTY_API_KEY_SECRET)).toEqual({ apiKey: '' });
    expect(secret).not.toHaveProperty('GenerateSecretString');
    expect(String(secret.Description)).toContain('put-secret-value');
    expect(flat(environment(base).API_KEY_SECRET_ID)).toBe(
      `<${logicalId(base.stack.node.findChild('ApiKeySecret'))}>`,
    );
  });

  it('is imported by name, granting on the name plus the random "-??????" suffix', () => {
    expect(props(cron, 'AWS::SecretsManager::Secret')).toEqual([]);
    expect(environment(cron).API_KEY_SECRET_ID).toBe('alaya/pod-watch-api-key');
    const read = iamStatements(cron).find((s) => s.actions.includes('secretsmanager:GetSecretValue'));
    expect(read?.resources).toEqual([
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:alaya/pod-watch-api-key-??????',
    ]);
  });

  it.each([
    // A complete ARN, which could also be a partial one whose name ends in "-" and six characters.
    [SECRET_ARN, [SECRET_ARN, `${SECRET_ARN}-??????`]],
    [
      'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:alaya/key',
      ['arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:alaya/key-??????'],
    ],
  ])('is imported by ARN %s', (arn, expected) => {
    const r = synthPodWatch(testConfig({ apiKeySecret: arn }), 'PodWatchArn');
    expect(props(r, 'AWS::SecretsManager::Secret')).toEqual([]);
    expect(environment(r).API_KEY_SECRET_ID).toBe(arn);
    const read = iamStatements(r).find((s) => s.actions.includes('secretsmanager:GetSecretValue'));
    expect(read?.resources).toEqual([...expected].sort());
    expect(nagFindings(r.app)).toEqual([]);
  });
});

describe('state and dead-letter queue', () => {
  it('keeps state in an on-demand table keyed by pk, with PITR and TTL on expiresAt', () => {
    base.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    });
  });

  it('encrypts the DLQ with SQS-managed keys and refuses non-TLS requests', () => {
    expect(only(base, 'AWS::SQS::Queue')).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    base.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('outputs', () => {
  it('shows the topic, table, function and where to put the API key', () => {
    const outputs = base.template.toJSON().Outputs as Record<string, Json>;
    expect(Object.keys(outputs).sort()).toEqual([
      'ApiKeySecretId',
      'DashboardUrl',
      'FunctionName',
      'PutApiKeyCommand',
      'TableName',
      'TopicArn',
    ]);
    expect(flat(outputs.TopicArn?.Value)).toBe(`<${logicalId(base.stack.topic)}>`);
    expect(flat(outputs.TableName?.Value)).toBe(`<${logicalId(base.stack.table)}>`);
    expect(flat(outputs.FunctionName?.Value)).toBe(`<${logicalId(base.stack.function)}>`);
    expect(flat(outputs.PutApiKeyCommand?.Value)).toMatch(
      /^aws secretsmanager put-secret-value --secret-id <ApiKeySecret/,
    );
    expect((cron.template.toJSON().Outputs as Record<string, Json>).ApiKeySecretId?.Value).toBe(
      'alaya/pod-watch-api-key',
    );
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('leaves no finding unacknowledged, errors or warnings', () => {
    for (const r of [base, cron, large]) expect(nagFindings(r.app)).toEqual([]);
  });

  it('acknowledges each finding on the resource it covers, with a reason', () => {
    const acks: Record<string, string[]> = {};
    const visit = (c: IConstruct) => {
      for (const entry of c.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          expect(reason.length).toBeGreaterThan(40);
          const ids = acks[c.node.path] ?? [];
          ids.push(id.replace(/^annotation::/i, ''));
          acks[c.node.path] = ids;
        }
      }
      for (const child of c.node.children) visit(child);
    };
    visit(base.app);
    const logGroup = logicalId(base.stack.node.findChild('HandlerLogs'));
    expect(acks).toEqual({
      [`${STACK}/AlertTopic`]: ['AwsSolutions-SNS2'],
      [`${STACK}/ApiKeySecret`]: ['AwsSolutions-SMG4'],
      [`${STACK}/HandlerRole`]: [
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<${logGroup}>:log-stream:*]`,
      ],
      [`${STACK}/ScheduleDeadLetterQueue`]: ['AwsSolutions-SQS3'],
    });
  });

  it('fails synth on a finding nobody acknowledged', () => {
    const { stack } = buildPodWatch(testConfig(), 'PodWatchUnacknowledged');
    new sqs.Queue(stack, 'Unacknowledged', { enforceSSL: true });
    expect(() => Template.fromStack(stack)).toThrow(/AwsSolutions-SQS3/);
  });
});
