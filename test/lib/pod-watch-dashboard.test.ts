import { join } from 'node:path';
import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { dashboardConsoleUrl, PodWatchDashboard, podWatchDashboardName } from '../../lib/pod-watch-dashboard';
import { METRICS_NAMESPACE } from '../../lib/pod-watch-stack';
import {
  flat,
  type Json,
  nagFindings,
  type SynthResult,
  synthPodWatch,
  testApp,
  testConfig,
} from '../support/cdk';

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Json;
}

interface Body {
  start?: string;
  widgets: Widget[];
}

/** One metric line of a metric widget: [namespace, name, dimension name, value, ..., options]. */
interface MetricLine {
  widget: string;
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  stat: string;
  period?: number;
}

function dashboardOf(template: Template): { logicalId: string; props: Json } {
  const all = Object.entries(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(all).toHaveLength(1);
  const [logicalId, res] = all[0] as [string, Json];
  return { logicalId, props: res.Properties as Json };
}

/** The body is an Fn::Join (region, function name, alarm ARNs); tokens become <LogicalId> inside its JSON strings. */
function bodyOf(template: Template): Body {
  return JSON.parse(flat(dashboardOf(template).props.DashboardBody)) as Body;
}

function metricLines(body: Body): MetricLine[] {
  const out: MetricLine[] = [];
  for (const w of body.widgets.filter((x) => x.type === 'metric')) {
    for (const line of w.properties.metrics as unknown[][]) {
      const last = line[line.length - 1];
      const options = (typeof last === 'object' ? last : {}) as Json;
      const parts = (typeof last === 'object' ? line.slice(0, -1) : line) as string[];
      const [namespace = '', name = '', ...dims] = parts;
      const dimensions: Record<string, string> = {};
      for (let i = 0; i + 1 < dims.length; i += 2) dimensions[dims[i] as string] = dims[i + 1] as string;
      out.push({
        widget: String(w.properties.title),
        namespace,
        name,
        dimensions,
        // CloudWatch's default statistic is Average, which CDK leaves out of the JSON.
        stat: String(options.stat ?? 'Average'),
        ...(options.period === undefined ? {} : { period: Number(options.period) }),
      });
    }
  }
  return out;
}

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

function alarmLogicalId(r: SynthResult, suffix: string): string {
  const found = Object.entries(r.template.findResources('AWS::CloudWatch::Alarm')).filter(
    ([, res]) => (res as { Properties: Json }).Properties.AlarmName === `${r.stack.stackName}-${suffix}`,
  );
  expect(found).toHaveLength(1);
  return (found[0] as [string, unknown])[0];
}

const STACK = 'PodWatchDash';
const base = synthPodWatch(testConfig(), STACK);
const slow = synthPodWatch(testConfig({ schedule: 'rate(2 hours)' }), 'PodWatchDashSlow');
const body = bodyOf(base.template);
const lines = metricLines(body);

const RUN_METRICS: [name: string, stats: string[], widget: string][] = [
  ['RunsSucceeded', ['Sum'], 'Runs'],
  ['RunsFailed', ['Sum'], 'Runs'],
  ['RunsSkipped', ['Sum'], 'Runs'],
  ['RunDurationMs', ['p50', 'Maximum'], 'Run duration (ms)'],
  ['PodsChecked', ['Maximum'], 'Pods by health (per run)'],
  ['PodsNotRunning', ['Maximum'], 'Pods by health (per run)'],
  ['PodsCheckFailed', ['Maximum'], 'Pods by health (per run)'],
  ['RestartsObserved', ['Sum'], 'Restarts observed'],
  ['AlertsSent', ['Sum'], 'Alerts sent'],
  ['ApiLatencyMeanMs', ['Average'], 'Alaya API latency (ms)'],
  ['ApiLatencyMaxMs', ['Maximum'], 'Alaya API latency (ms)'],
];

describe('dashboard resource', () => {
  it('is created once, named after the stack and the region (dashboards are global to the account)', () => {
    const { props } = dashboardOf(base.template);
    expect(flat(props.DashboardName)).toBe(`${STACK}-<AWS::Region>`);
  });

  it('opens on the last day for a schedule of an hour or less, on the last week for a slower one', () => {
    expect(body.start).toBe('-P1D');
    expect(bodyOf(slow.template).start).toBe('-P7D');
  });

  it('lays the widgets out on the 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const w of body.widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell)).toBe(false);
          cells.add(cell);
        }
      }
    }
  });
});

describe('metric widgets', () => {
  it.each(RUN_METRICS)(
    'graphs %s in its namespace with the service dimension (%j, in "%s")',
    (name, stats, widget) => {
      const found = lines.filter((l) => l.name === name);
      expect(found.map((l) => l.stat).sort()).toEqual([...stats].sort());
      for (const l of found) {
        expect(l).toMatchObject({ widget, namespace: METRICS_NAMESPACE, dimensions: { service: STACK } });
      }
    },
  );

  it('graphs only the run-level custom metrics, all with the service dimension alone', () => {
    const custom = lines.filter((l) => l.namespace === METRICS_NAMESPACE);
    expect(new Set(custom.map((l) => l.name))).toEqual(new Set(RUN_METRICS.map(([n]) => n)));
    for (const l of custom) expect(l.dimensions).toEqual({ service: STACK });
  });

  it("puts the function's Invocations, Errors and Throttles beside the runs, and its Duration beside the run duration", () => {
    const fn = `<${logicalId(base.stack.function)}>`;
    const aws = lines.filter((l) => l.namespace === 'AWS/Lambda');
    expect(aws.map((l) => [l.widget, l.name, l.stat])).toEqual([
      ['Runs', 'Invocations', 'Sum'],
      ['Runs', 'Errors', 'Sum'],
      ['Runs', 'Throttles', 'Sum'],
      ['Run duration (ms)', 'Duration', 'Maximum'],
    ]);
    for (const l of aws) expect(l.dimensions).toEqual({ FunctionName: fn });
  });

  it('pins every graph to the deployment region', () => {
    for (const w of body.widgets.filter((x) => x.type === 'metric')) {
      expect(w.properties.region).toBe('<AWS::Region>');
    }
  });

  it('draws the function timeout on the duration graph', () => {
    const duration = body.widgets.find((w) => w.properties.title === 'Run duration (ms)');
    const annotations = duration?.properties.annotations as { horizontal: Json[] } | undefined;
    const horizontal = annotations?.horizontal;
    expect(horizontal).toEqual([
      expect.objectContaining({
        label: 'function timeout',
        value: base.stack.function.timeout?.toMilliseconds(),
      }),
    ]);
  });

  it('uses one point per run: the default 5 minutes, or the schedule interval', () => {
    // CDK leaves the period out of the JSON when it is CloudWatch's default of 300 s.
    for (const l of lines) expect(l.period).toBeUndefined();
    for (const l of metricLines(bodyOf(slow.template))) expect(l.period).toBe(7_200);
  });
});

describe('alarm and text widgets', () => {
  it('shows the state of the errors, heartbeat and undelivered-runs alarms', () => {
    const alarmWidgets = body.widgets.filter((w) => w.type === 'alarm');
    expect(alarmWidgets).toHaveLength(1);
    expect(alarmWidgets[0]?.properties.alarms).toEqual([
      `<${alarmLogicalId(base, 'errors')}.Arn>`,
      `<${alarmLogicalId(base, 'heartbeat')}.Arn>`,
      `<${alarmLogicalId(base, 'undelivered-runs')}.Arn>`,
    ]);
  });

  it('explains the dashboard and points to the README and the observability guide', () => {
    const texts = body.widgets.filter((w) => w.type === 'text');
    expect(texts).toHaveLength(1);
    const markdown = String(texts[0]?.properties.markdown);
    expect(markdown).toContain(`## Alaya pod watch: ${STACK}`);
    expect(markdown).toContain('README');
    expect(markdown).toContain('docs/observability.md');
    expect(markdown).toContain(`\`service=${STACK}\``);
  });
});

describe('DashboardUrl output', () => {
  it('links to the dashboard in the CloudWatch console of the deployment region', () => {
    const outputs = base.template.toJSON().Outputs as Record<string, Json>;
    const { logicalId: dashboardId } = dashboardOf(base.template);
    expect(flat(outputs.DashboardUrl?.Value)).toBe(
      'https://<AWS::Region>.console.aws.amazon.com/cloudwatch/home?region=<AWS::Region>' +
        `#dashboards:name=<${dashboardId}>`,
    );
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('still leaves no finding unacknowledged with the dashboard in the stack', () => {
    expect(nagFindings(base.app)).toEqual([]);
    expect(nagFindings(slow.app)).toEqual([]);
  });
});

describe('helpers', () => {
  it('replaces the characters CloudWatch refuses in a dashboard name', () => {
    expect(podWatchDashboardName('Alaya.Pod Watch/1', 'eu-west-1')).toBe('Alaya-Pod-Watch-1-eu-west-1');
    expect(podWatchDashboardName('x'.repeat(300), 'ap-southeast-1').length).toBeLessThanOrEqual(255);
  });

  it('builds a literal console URL when the region is known at synth', () => {
    const stack = new Stack(testApp(), 'Pinned', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(dashboardConsoleUrl(stack, 'my-dash')).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=my-dash',
    );
  });

  it('links the README when its address is given, and leaves the timeout line out when not', () => {
    const stack = new Stack(testApp(), 'Standalone', {
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(join(__dirname, '..', 'support')),
    });
    const alarm = (id: string) =>
      new cloudwatch.Alarm(stack, id, { metric: fn.metricErrors(), threshold: 1, evaluationPeriods: 1 });
    new PodWatchDashboard(stack, 'Dashboard', {
      function: fn,
      alarms: { errors: alarm('A'), heartbeat: alarm('B'), deadLetterQueue: alarm('C') },
      serviceName: 'svc',
      namespace: 'Ns',
      schedulePeriod: Duration.seconds(30),
      readmeUrl: 'https://example.com/readme',
    });
    const template = Template.fromStack(stack);
    expect(flat(dashboardOf(template).props.DashboardName)).toBe('Standalone-eu-west-1');
    const standalone = bodyOf(template);
    const text = standalone.widgets.find((w) => w.type === 'text');
    expect(String(text?.properties.markdown)).toContain('[README](https://example.com/readme)');
    const duration = standalone.widgets.find((w) => w.properties.title === 'Run duration (ms)');
    expect(duration?.properties.annotations).toBeUndefined();
    // A sub-minute period is raised to CloudWatch's one minute for standard-resolution metrics.
    for (const l of metricLines(standalone)) expect(l.period).toBe(60);
  });
});
