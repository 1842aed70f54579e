import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Aws,
  CfnOutput,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
  Stage,
  TimeZone,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  STATE_TABLE_PARTITION_KEY,
  STATE_TABLE_TTL_ATTRIBUTE,
} from '../lambda/adapters/dynamodb-state-store';
import type { PodWatchConfig } from '../lambda/config/config';
import { SMS_DISPLAY_NAME } from '../lambda/core/messages';
import { lambdaTimeoutSeconds, leaseTtlSeconds } from './lambda-timeout';
import { PodWatchDashboard, type PodWatchDashboardAlarms } from './pod-watch-dashboard';
import {
  assumedRunIntervalSeconds,
  HEARTBEAT_EVALUATION_PERIODS,
  heartbeatPeriodSeconds,
  maxEventAgeSeconds,
} from './schedule-timing';

/** Namespace of the custom metrics the handler emits through Powertools Metrics (EMF). */
export const METRICS_NAMESPACE = 'AlayaPodWatch';
/** Metric the handler adds once per run that completed its checks; the heartbeat alarm watches it. */
export const HEARTBEAT_METRIC_NAME = 'RunsSucceeded';
/** Name of the runtime config file inside the bundle, beside index.js (the handler reads it there). */
export const BUNDLED_CONFIG_FILE_NAME = 'config.json';
/** Prefix of the runtime config the stack writes into the cloud assembly directory at synth. */
export const RUNTIME_CONFIG_FILE_PREFIX = 'pod-watch-runtime-config.';
/** The value a created secret starts with; the handler answers it with "no API key yet, put it with ...". */
export const EMPTY_API_KEY_SECRET = '{"apiKey":""}';

const PROJECT_ROOT = join(__dirname, '..');
const DEFAULT_HANDLER_ENTRY = join(PROJECT_ROOT, 'lambda', 'handler.ts');
const SCHEDULER_RETRY_ATTEMPTS = 2;
const ERRORS_ALARM_PERIOD = Duration.minutes(5);
const DLQ_ALARM_PERIOD = Duration.minutes(5);

export interface PodWatchStackProps extends StackProps {
  /** Already validated (parseConfigText); it is bundled as-is into the function. */
  readonly config: PodWatchConfig;
  /** Handler source file; tests point it elsewhere. @default lambda/handler.ts */
  readonly handlerEntry?: string;
}

export class PodWatchStack extends Stack {
  readonly function: NodejsFunction;
  readonly topic: sns.Topic;
  readonly table: dynamodb.Table;
  readonly apiKeySecret: secretsmanager.ISecret;
  readonly deadLetterQueue: sqs.Queue;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: PodWatchStackProps) {
    super(scope, id, {
      description:
        'Alaya pod watch: scheduled health checks of Alaya NeW Cloud training pods, alerts by email and SMS',
      ...props,
    });
    const { config } = props;
    const timeoutSeconds = lambdaTimeoutSeconds(config);

    // State holds only baselines, open problems and the run lease: the first run after a re-deploy
    // rebuilds it (at worst re-announcing problems that are still open). DESTROY keeps `cdk destroy`
    // from leaving an orphaned table behind; point-in-time recovery covers bad writes while it lives.
    this.table = new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: STATE_TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: STATE_TABLE_TTL_ATTRIBUTE,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.topic = this.createTopic(config);
    const secret = this.resolveApiKeySecret(config);
    this.apiKeySecret = secret.secret;

    const logGroup = new logs.LogGroup(this, 'HandlerLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = this.createHandlerRole(logGroup, secret.policyResources);

    this.function = new NodejsFunction(this, 'Handler', {
      description: `Checks ${config.pods.length} Alaya pod(s) and alerts through SNS`,
      entry: props.handlerEntry ?? DEFAULT_HANDLER_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: config.lambda.memorySizeMb,
      timeout: Duration.seconds(timeoutSeconds),
      // One run at a time: a tick that arrives while a run is still going waits in Lambda's async
      // queue (up to maxEventAge) instead of starting a second run that would only find the lease taken.
      ...(config.lambda.reserveConcurrency ? { reservedConcurrentExecutions: 1 } : {}),
      role,
      logGroup,
      // A failed run is not retried by Lambda: the next tick is the retry, with fresh data, and
      // re-running a half-finished run could repeat its alert. The Errors alarm reports the failure.
      retryAttempts: 0,
      maxEventAge: Duration.seconds(maxEventAgeSeconds(config.schedule, 6 * 3_600)),
      environment: {
        TABLE_NAME: this.table.tableName,
        TOPIC_ARN: this.topic.topicArn,
        API_KEY_SECRET_ID: secret.secretId,
        LEASE_TTL_SECONDS: String(leaseTtlSeconds(config)),
        POWERTOOLS_SERVICE_NAME: this.stackName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings only; embedding the sources would quadruple the map that
        // --enable-source-maps parses at every cold start.
        sourcesContent: false,
        target: 'node22',
        format: OutputFormat.CJS,
        forceDockerBundling: false,
        // Bundle the AWS SDK instead of using the runtime's copy, so the deployed code runs exactly
        // the SDK versions the tests ran.
        externalModules: [],
        commandHooks: runtimeConfigHooks(this.writeRuntimeConfig(config)),
      },
    });

    this.deadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetterQueue', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the EventBridge Scheduler target; a DLQ for it ' +
        'would have nothing to receive. Its messages raise the undelivered-runs alarm.',
    });

    this.schedule = new Schedule(this, 'Schedule', {
      description: `Runs the Alaya pod watch (${config.schedule})`,
      schedule: ScheduleExpression.expression(
        config.schedule,
        config.timezone === undefined ? undefined : TimeZone.of(config.timezone),
      ),
      target: new UnqualifiedLambdaInvoke(this.function, {
        retryAttempts: SCHEDULER_RETRY_ATTEMPTS,
        maxEventAge: Duration.seconds(maxEventAgeSeconds(config.schedule, 86_400)),
        deadLetterQueue: this.deadLetterQueue,
      }),
    });

    const alarms = this.createAlarms(config, timeoutSeconds);
    const dashboard = new PodWatchDashboard(this, 'Dashboard', {
      function: this.function,
      alarms,
      serviceName: this.stackName,
      namespace: METRICS_NAMESPACE,
      schedulePeriod: Duration.seconds(assumedRunIntervalSeconds(config.schedule, config.runIntervalMinutes)),
      functionTimeout: Duration.seconds(timeoutSeconds),
    });

    new CfnOutput(this, 'TopicArn', {
      value: this.topic.topicArn,
      description: 'SNS topic of the alerts (email subscribers must confirm their subscription first)',
    });
    new CfnOutput(this, 'TableName', {
      value: this.table.tableName,
      description: 'DynamoDB table of the watch state',
    });
    new CfnOutput(this, 'FunctionName', {
      value: this.function.functionName,
      description: 'Run it now: aws lambda invoke --function-name <this> /dev/stdout',
    });
    new CfnOutput(this, 'ApiKeySecretId', {
      value: secret.secretId,
      description: 'Secrets Manager secret holding the Alaya API key',
    });
    new CfnOutput(this, 'PutApiKeyCommand', {
      value: `aws secretsmanager put-secret-value --secret-id ${secret.secretId} --secret-string '{"apiKey":"<your Alaya API key>"}'`,
      description: 'Stores (or replaces) the Alaya API key; the next run picks it up',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: dashboard.url,
      description: 'CloudWatch dashboard of the watch: runs, pods by health, restarts, alerts, alarms',
    });
  }

  /**
   * No server-side encryption, on purpose: CloudWatch alarms cannot publish to a topic encrypted
   * with the AWS-managed key alias/aws/sns (its key policy cannot be changed to admit CloudWatch),
   * and a customer-managed key costs $1/month for content that is pod status only. Publishing
   * over TLS is enforced by the topic policy.
   */
  private createTopic(config: PodWatchConfig): sns.Topic {
    const topic = new sns.Topic(this, 'AlertTopic', { displayName: SMS_DISPLAY_NAME, enforceSSL: true });
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Not encrypted: CloudWatch alarms cannot publish to a topic encrypted with alias/aws/sns, and the ' +
        'messages carry pod status only, which does not justify a $1/month customer-managed key. ' +
        'TLS is enforced for publishing (aws:SecureTransport deny).',
    });
    for (const email of config.alerts.emails) {
      topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    for (const phone of config.alerts.phones) {
      topic.addSubscription(
        new subscriptions.SmsSubscription(phone, {
          // The publisher sets the `severity` message attribute; texts go out only for these.
          filterPolicy: {
            severity: sns.SubscriptionFilter.stringFilter({ allowlist: [...config.alerts.smsSeverities] }),
          },
        }),
      );
    }
    return topic;
  }

  /**
   * Either way the stack deploys whether or not the secret exists yet: an imported secret is only
   * referenced in the IAM policy, and a created one starts empty (the handler then says how to put
   * the key). The key itself never passes through CloudFormation.
   */
  private resolveApiKeySecret(config: PodWatchConfig): {
    secret: secretsmanager.ISecret;
    secretId: string;
    policyResources: string[];
  } {
    const ref = config.apiKeySecret;
    if (ref === undefined) {
      const created = new secretsmanager.Secret(this, 'ApiKeySecret', {
        description:
          'Alaya NeW Cloud API key for the pod watch, as {"apiKey":"..."}. Created empty; put the key with ' +
          `aws secretsmanager put-secret-value --secret-id <this secret's ARN> --secret-string '{"apiKey":"<key>"}'. ` +
          'Re-deploying the stack does not overwrite it.',
        // CloudFormation only rewrites SecretString when this template value changes, so the key a
        // user puts later survives every deploy as long as this constant stays the same.
        secretStringValue: SecretValue.unsafePlainText(EMPTY_API_KEY_SECRET),
      });
      Validations.of(created).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Alaya API keys are issued in the Alaya console; no API exists to rotate them, so rotation cannot ' +
          'be automated. Replace the key with put-secret-value when it is reissued.',
      });
      return { secret: created, secretId: created.secretArn, policyResources: [created.secretArn] };
    }
    if (ref.startsWith('arn:')) {
      // Same test CDK's Secret.fromSecretArn uses: a complete ARN ends in Secrets Manager's "-XXXXXX".
      const looksComplete = /-[a-z0-9]{6}$/i.test(ref);
      const imported = looksComplete
        ? secretsmanager.Secret.fromSecretCompleteArn(this, 'ApiKeySecret', ref)
        : secretsmanager.Secret.fromSecretPartialArn(this, 'ApiKeySecret', ref);
      // A partial ARN whose name happens to end in "-" plus six letters (say "alaya-apikey") looks
      // complete; also granting "<arn>-??????" keeps that case working without widening beyond the name.
      return {
        secret: imported,
        secretId: ref,
        policyResources: looksComplete ? [ref, `${ref}-??????`] : [`${ref}-??????`],
      };
    }
    const imported = secretsmanager.Secret.fromSecretNameV2(this, 'ApiKeySecret', ref);
    // A name has no ARN suffix yet: Secrets Manager appends "-" and six random characters, which is
    // what CDK's own grants match with "-??????" (a "*" would also match other secrets' names).
    return { secret: imported, secretId: ref, policyResources: [`${imported.secretArn}-??????`] };
  }

  /** The only permissions the handler has; no managed policy, no wildcard action. */
  private createHandlerRole(logGroup: logs.LogGroup, secretResources: string[]): iam.Role {
    const logStreams = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:${logGroup.logGroupName}:log-stream:*`;
    const role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Alaya pod watch handler: its logs, its secret, its topic, its table',
      inlinePolicies: {
        PodWatch: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'WriteOwnLogs',
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logStreams],
            }),
            new iam.PolicyStatement({
              sid: 'ReadApiKey',
              actions: ['secretsmanager:GetSecretValue'],
              resources: secretResources,
            }),
            new iam.PolicyStatement({
              sid: 'PublishAlerts',
              actions: ['sns:Publish'],
              resources: [this.topic.topicArn],
            }),
            new iam.PolicyStatement({
              sid: 'ReadWriteState',
              actions: ['dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
              resources: [this.table.tableArn],
            }),
          ],
        }),
      },
    });
    const logGroupId = this.getLogicalId(logGroup.node.defaultChild as logs.CfnLogGroup);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:<${logGroupId}>:log-stream:*]`,
      reason:
        'Lambda names its log streams at run time (date, version, instance); the wildcard is confined to ' +
        "the streams of this function's own log group.",
    });
    return role;
  }

  /**
   * The validated config goes into the bundle, not into environment variables: Lambda caps all
   * variables at 4 KB together, which a few dozen pods would already exceed. The file is named by
   * its content hash, so two stacks in one app cannot overwrite each other's file.
   */
  private writeRuntimeConfig(config: PodWatchConfig): string {
    const json = JSON.stringify(config);
    const digest = createHash('sha256').update(json).digest('hex').slice(0, 16);
    const dir = Stage.of(this)?.outdir ?? tmpdir();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${RUNTIME_CONFIG_FILE_PREFIX}${digest}.json`);
    writeFileSync(file, json);
    return file;
  }

  private createAlarms(config: PodWatchConfig, timeoutSeconds: number): PodWatchDashboardAlarms {
    const action = new SnsAction(this.topic);

    const errors = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      alarmName: `${this.stackName}-errors`,
      alarmDescription:
        'A pod watch run failed (crash, timeout, or it could not read its state or send its alert). ' +
        'See the function logs.',
      // A short period so each failed run of an hourly schedule alarms again, while a burst of
      // failures on a fast schedule stays one notification.
      metric: this.function.metricErrors({ period: ERRORS_ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    errors.addAlarmAction(action);

    const period = heartbeatPeriodSeconds(config.schedule, timeoutSeconds, config.runIntervalMinutes);
    const heartbeat = new cloudwatch.Alarm(this, 'HeartbeatAlarm', {
      alarmName: `${this.stackName}-heartbeat`,
      alarmDescription:
        `No pod watch run completed in the last ${(HEARTBEAT_EVALUATION_PERIODS * period) / 60} minutes ` +
        '(schedule disabled, function failing, or no API key yet). Pods are not being watched.',
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: HEARTBEAT_METRIC_NAME,
        dimensionsMap: { service: this.stackName },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.seconds(period),
      }),
      threshold: 1,
      evaluationPeriods: HEARTBEAT_EVALUATION_PERIODS,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // No datapoint means no successful run: silence is exactly what this alarm exists to catch.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    heartbeat.addAlarmAction(action);
    // Users should hear when watching has resumed, not only when it stopped.
    heartbeat.addOkAction(action);

    const dlq = new cloudwatch.Alarm(this, 'DeadLetterQueueAlarm', {
      alarmName: `${this.stackName}-undelivered-runs`,
      alarmDescription:
        'EventBridge Scheduler could not invoke the pod watch function; the failed events are in the ' +
        'dead-letter queue (their attributes say why). Purge the queue once fixed.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: DLQ_ALARM_PERIOD,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    dlq.addAlarmAction(action);

    // enforceSSL gives the topic a resource policy, which replaces the default one; without this
    // statement CloudWatch is refused SNS:Publish ("no resource-based policy allows") and the
    // alarms fire into nothing. Scoped to these alarms to avoid the confused-deputy problem.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowPodWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': [errors.alarmArn, heartbeat.alarmArn, dlq.alarmArn] },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    return { errors, heartbeat, deadLetterQueue: dlq };
  }
}

/**
 * LambdaInvoke grants the scheduler role lambda:InvokeFunction on "<function>" and "<function>:*"
 * (every version and alias). The schedule invokes the unqualified function only, so the wildcard
 * is dropped instead of acknowledged.
 */
class UnqualifiedLambdaInvoke extends LambdaInvoke {
  private readonly invokedFunction: lambda.IFunction;

  constructor(fn: lambda.IFunction, props: ScheduleTargetBaseProps) {
    super(fn, props);
    this.invokedFunction = fn;
  }

  protected override addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.invokedFunction.functionArn],
      }),
    );
  }
}

/** Copies the runtime config written at synth into the bundle output, beside index.js. */
export function runtimeConfigHooks(configFile: string) {
  return {
    beforeBundling: (): string[] => [],
    beforeInstall: (): string[] => [],
    afterBundling: (_inputDir: string, outputDir: string): string[] => {
      const target = join(outputDir, BUNDLED_CONFIG_FILE_NAME);
      return platform() === 'win32'
        ? [`copy /Y "${configFile}" "${target}"`]
        : [`cp "${configFile}" "${target}"`];
    },
  };
}
