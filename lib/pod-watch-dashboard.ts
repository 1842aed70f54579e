/**
 * The CloudWatch dashboard of one pod watch deployment: whether the watcher itself works (alarms,
 * runs, duration) and what it saw (pods by health, restarts, alerts, Alaya API latency). Run-level
 * metrics only: per-pod metrics (`metrics.perPod`) are off by default and would need a widget per pod.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';

/** The three alarms that say the watcher itself is not working. */
export interface PodWatchDashboardAlarms {
  readonly errors: cloudwatch.IAlarm;
  readonly heartbeat: cloudwatch.IAlarm;
  readonly deadLetterQueue: cloudwatch.IAlarm;
}

export interface PodWatchDashboardProps {
  /** The scheduled handler. */
  readonly function: lambda.IFunction;
  readonly alarms: PodWatchDashboardAlarms;
  /** Value of the `service` dimension of the custom metrics (POWERTOOLS_SERVICE_NAME = the stack name). */
  readonly serviceName: string;
  /** Namespace of the custom metrics (POWERTOOLS_METRICS_NAMESPACE). */
  readonly namespace: string;
  /** Interval between scheduled runs; each graph point covers one run (at least one minute). */
  readonly schedulePeriod: Duration;
  /** Drawn as a line on the duration graph, when given. */
  readonly functionTimeout?: Duration;
  /** @default derived from `serviceName` and the region, see {@link podWatchDashboardName} */
  readonly dashboardName?: string;
  /** Where the README is published; linked from the text widget when given. */
  readonly readmeUrl?: string;
}

/** CloudWatch accepts 1–255 characters of [A-Za-z0-9_-] in a dashboard name. */
const DASHBOARD_NAME_MAX = 255;
const FULL_WIDTH = 24;

/**
 * Dashboards are global to the account, not regional, so the region is part of the name: the same
 * stack deployed in two regions gets two dashboards instead of one overwriting the other. Characters
 * CloudWatch refuses become "-". `region` may be a token (an environment-agnostic stack).
 */
export function podWatchDashboardName(stackName: string, region: string): string {
  const safe = stackName.replace(/[^A-Za-z0-9_-]/g, '-');
  // Region names are at most ~20 characters; keep room for them and the separator.
  return `${safe.slice(0, DASHBOARD_NAME_MAX - 32)}-${region}`;
}

/**
 * Console address of a dashboard. `dashboardName` and the region may be tokens: the result is then
 * an Fn::Join that CloudFormation resolves at deploy time.
 */
export function dashboardConsoleUrl(scope: IConstruct, dashboardName: string): string {
  const region = Stack.of(scope).region;
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${dashboardName}`;
}

export class PodWatchDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  /** The deployed name (a Ref to the dashboard). */
  readonly dashboardName: string;
  /** Console address of the dashboard, see {@link dashboardConsoleUrl}. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: PodWatchDashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const period = Duration.seconds(Math.max(60, props.schedulePeriod.toSeconds()));
    const custom = (metricName: string, statistic: string, label: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: props.namespace,
        metricName,
        dimensionsMap: { service: props.serviceName },
        statistic,
        period,
        label,
      });
    const fn = props.function;
    const { errors, heartbeat, deadLetterQueue } = props.alarms;

    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.dashboardName ?? podWatchDashboardName(stack.stackName, stack.region),
      defaultInterval: period.toSeconds() <= 3_600 ? Duration.days(1) : Duration.days(7),
    });

    const readme = props.readmeUrl === undefined ? 'README.md' : `[README](${props.readmeUrl})`;
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        width: 14,
        height: 6,
        markdown: [
          `## Alaya pod watch: ${props.serviceName}`,
          'Scheduled health checks of Alaya NeW Cloud training pods. **Alarms** (right) say the watcher ' +
            'itself is not working: a run failed, no run completed lately, or the schedule could not invoke ' +
            'the function. Problems with the pods are sent by email/SMS, not raised here.',
          '',
          '**Graphs**: runs and their duration, pods by health per run, restarts seen, notifications sent ' +
            `and Alaya API latency. Metrics: namespace \`${props.namespace}\`, dimension ` +
            `\`service=${props.serviceName}\`; one point per run interval.`,
          '',
          `See the ${readme} (Deploy to AWS) and docs/observability.md for what to look for and log queries.`,
        ].join('\n'),
      }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Watcher alarms',
        width: FULL_WIDTH - 14,
        height: 6,
        alarms: [errors, heartbeat, deadLetterQueue],
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      }),
    );

    const half = FULL_WIDTH / 2;
    const third = FULL_WIDTH / 3;
    const height = 6;
    const sum = cloudwatch.Stats.SUM;
    const max = cloudwatch.Stats.MAXIMUM;
    const p50 = cloudwatch.Stats.p(50);

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Runs',
        width: half,
        height,
        left: [
          custom('RunsSucceeded', sum, 'succeeded'),
          custom('RunsFailed', sum, 'failed'),
          custom('RunsSkipped', sum, 'skipped (lease held)'),
          fn.metricInvocations({ period, statistic: sum, label: 'Lambda invocations' }),
          fn.metricErrors({ period, statistic: sum, label: 'Lambda errors' }),
          fn.metricThrottles({ period, statistic: sum, label: 'Lambda throttles' }),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
      new cloudwatch.GraphWidget({
        title: 'Run duration (ms)',
        width: half,
        height,
        left: [
          custom('RunDurationMs', p50, 'run p50'),
          custom('RunDurationMs', max, 'run max'),
          fn.metricDuration({ period, statistic: max, label: 'Lambda duration max' }),
        ],
        leftAnnotations:
          props.functionTimeout === undefined
            ? undefined
            : [{ value: props.functionTimeout.toMilliseconds(), label: 'function timeout' }],
        leftYAxis: { min: 0, showUnits: false },
      }),
    );

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Pods by health (per run)',
        width: third,
        height,
        left: [
          custom('PodsChecked', max, 'checked'),
          custom('PodsNotRunning', max, 'not running'),
          custom('PodsCheckFailed', max, 'check failed'),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
      new cloudwatch.GraphWidget({
        title: 'Restarts observed',
        width: third,
        height,
        left: [custom('RestartsObserved', sum, 'restarts')],
        leftYAxis: { min: 0, showUnits: false },
      }),
      new cloudwatch.GraphWidget({
        title: 'Alerts sent',
        width: third,
        height,
        left: [custom('AlertsSent', sum, 'alerts')],
        leftYAxis: { min: 0, showUnits: false },
      }),
    );

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Alaya API latency (ms)',
        width: FULL_WIDTH,
        height,
        left: [
          custom('ApiLatencyMeanMs', cloudwatch.Stats.AVERAGE, 'mean per run'),
          custom('ApiLatencyMaxMs', max, 'max per run'),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
    );

    this.dashboardName = this.dashboard.dashboardName;
    this.url = dashboardConsoleUrl(this, this.dashboardName);
  }
}
