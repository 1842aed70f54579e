/**
 * The local CLI: the same core as the Lambda, wired to local adapters (environment key, JSON state
 * file, terminal output). Exit codes follow the Nagios plugin convention so cron wrappers and
 * monitoring agents can use it directly.
 */
import { basename, dirname, join } from 'node:path';
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { AlayaHttpClient } from '../adapters/alaya-http-client';
import { CredentialChatChannels, envWebhookCredentials } from '../adapters/chat-channel-source';
import { ConsoleNotifier } from '../adapters/console-notifier';
import { EnvKeySource } from '../adapters/env-key-source';
import { FileStateStore } from '../adapters/file-state-store';
import { systemClock } from '../adapters/system-clock';
import { ConfigError } from '../config/config';
import { loadConfigFile } from '../config/config-file';
import { PodWatchError, UsageError } from '../core/errors';
import { alertSummary } from '../core/messages';
import type { Notifier, StateStore } from '../core/ports';
import { notRunningSeverity } from '../core/rules';
import { lambdaTimeoutSeconds, leaseTtlSeconds } from '../core/run-budget';
import { CHAT_BUDGET_MS, type RunLogger, type RunResult, runCheck, silentLogger } from '../core/run-check';
import {
  addSilence,
  listSilences,
  removeSilence,
  renderSilences,
  type SilenceStoreTarget,
} from './silence-commands';

export const EXIT = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Builds the SNS notifier for `test-alert`; injected so the CLI core does not load the AWS SDK. */
  snsNotifier?: (topicArn: string) => Promise<Notifier>;
  /** Builds the DynamoDB state store for `--table`; injected for the same reason. */
  tableStore?: (tableName: string) => Promise<StateStore>;
  now?: () => Date;
}

export const USAGE = `Usage:
  pod-watch check --config FILE [--state FILE] [--json] [--verbose]
      Check every configured pod once, alert on changes, print a table (or one JSON document).
      The API key comes from ALAYA_API_KEY; ALAYA_API_BASE_URL overrides apiBaseUrl.
      State defaults to FILE with ".state.json" in place of ".json".
      Exit status: 0 OK, 1 warning, 2 critical, 3 unknown (cannot check, bad config or arguments).
  pod-watch validate --config FILE
      Validate a config file and print what it would watch.
  pod-watch silence --task ID [--pod NAME] --for 2h --reason TEXT (--config FILE [--state FILE] | --table NAME)
      Hold alerts of a task (or one pod) until the time is up or the pod recovers, whichever is first.
  pod-watch silences (--config FILE [--state FILE] | --table NAME) [--json]
      List active silences.
  pod-watch unsilence ID (--config FILE [--state FILE] | --table NAME)
      End a silence now.
      --table NAME works on the deployed stack's table (its TableName output; AWS credentials needed).
  pod-watch test-alert --topic-arn ARN [--language en|zh]
      Publish a sample alert through SNS to check the subscriptions after deploying.
`;

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'check':
        return await checkCommand(rest, io);
      case 'validate':
        return await validateCommand(rest, io);
      case 'test-alert':
        return await testAlertCommand(rest, io);
      case 'silence':
      case 'silences':
      case 'unsilence':
        return await silenceCommand(command, rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout(USAGE);
        return command === undefined ? EXIT.UNKNOWN : EXIT.OK;
      default:
        throw new UsageError(
          `unknown command "${command}" (expected check, validate, silence, silences, unsilence or test-alert; see --help)`,
        );
    }
  } catch (err) {
    io.stderr(`pod-watch: ${oneLine(err)}\n`);
    return EXIT.UNKNOWN;
  }
}

function oneLine(err: unknown): string {
  const text = err instanceof PodWatchError || err instanceof ConfigError ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ');
}

function parse<O extends ParseArgsOptionsConfig>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see --help)`);
  }
}

export function defaultStatePath(configPath: string): string {
  const base = basename(configPath).replace(/\.json$/i, '');
  return join(dirname(configPath), `${base}.state.json`);
}

async function validateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { config: { type: 'string' } });
  if (typeof values.config !== 'string') throw new UsageError('--config FILE is required');
  const config = loadConfigFile(values.config, io.env);
  io.stdout(
    `${values.config}: valid. ${config.pods.length} pod(s) at ${config.apiBaseUrl}, concurrency ${config.concurrency}, ` +
      `schedule ${config.schedule}, alerts in ${config.alerts.language}.\n`,
  );
  return EXIT.OK;
}

async function checkCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    config: { type: 'string' },
    state: { type: 'string' },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  });
  if (typeof values.config !== 'string') throw new UsageError('--config FILE is required');
  const config = loadConfigFile(values.config, io.env);
  const keySource = new EnvKeySource(io.env);
  // Fail before touching state: a missing key is a setup problem, not a pod problem.
  await keySource.getKey();
  const statePath = typeof values.state === 'string' ? values.state : defaultStatePath(values.config);

  const notificationText: string[] = [];
  const podApi = new AlayaHttpClient({
    baseUrl: config.apiBaseUrl,
    timeoutMs: config.timeoutSeconds * 1000,
    retries: config.retries,
    maxSockets: config.concurrency,
  });
  const logger: RunLogger = values.verbose ? stderrLogger(io) : silentLogger;
  let result: RunResult;
  try {
    result = await runCheck(
      config,
      {
        keySource,
        podApi,
        stateStore: new FileStateStore(statePath),
        notifier: new ConsoleNotifier((t) => notificationText.push(t)),
        clock: systemClock,
        logger,
        chat: new CredentialChatChannels(
          config.webhooks,
          envWebhookCredentials(io.env),
          'POD_WATCH_WEBHOOKS',
          {
            allowHttpLoopback: io.env.POD_WATCH_ALLOW_HTTP_WEBHOOKS === '1',
          },
        ),
      },
      {
        runId: `cli-${process.pid}-${Date.now()}`,
        leaseTtlMs: leaseTtlSeconds(config) * 1000,
        // Like the Lambda: stop checking in time to notify and commit before the lock runs out.
        signal: AbortSignal.timeout(
          (lambdaTimeoutSeconds(config) - 20 - (config.webhooks.length > 0 ? CHAT_BUDGET_MS / 1000 : 0)) *
            1000,
        ),
      },
    );
  } finally {
    podApi.close();
  }

  if (result.status === 'skipped') {
    io.stderr(`pod-watch: ${result.reason} (lock file ${statePath}.lock); nothing checked\n`);
    return EXIT.UNKNOWN;
  }
  const language = config.alerts.language;
  if (values.json) {
    io.stdout(`${JSON.stringify(jsonReport(result, language), null, 2)}\n`);
  } else {
    io.stdout(renderTable(result, language));
    io.stdout(notificationText.length ? `\n${notificationText.join('')}` : '\nNo alerts this run.\n');
  }
  return exitCode(result);
}

function stderrLogger(io: CliIo): RunLogger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    io.stderr(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  return { debug: line('debug'), info: line('info'), warn: line('warn') };
}

export function exitCode(result: Extract<RunResult, { status: 'completed' }>): number {
  const critical = result.pods.some(
    (p) =>
      p.health === 'not-running' && p.status !== undefined && notRunningSeverity(p.status) === 'critical',
  );
  if (critical) return EXIT.CRITICAL;
  if (result.pods.some((p) => p.health === 'check-failed')) return EXIT.UNKNOWN;
  // A restart held by a silence or a window still happened: the exit status reports the present.
  const warning =
    [...result.alerts, ...result.held.map((h) => h.alert)].some(
      (a) => a.type === 'restarted' && !a.reminder,
    ) || result.pods.some((p) => p.health === 'not-running' && p.status === 'Pending');
  return warning ? EXIT.WARNING : EXIT.OK;
}

export function jsonReport(result: Extract<RunResult, { status: 'completed' }>, language: 'en' | 'zh') {
  return {
    checkedAt: result.checkedAt,
    pods: result.pods.map((p) => ({
      taskId: p.pod.taskId,
      podName: p.pod.podName,
      ...(p.pod.name ? { name: p.pod.name } : {}),
      health: p.health,
      ...(p.status !== undefined ? { status: p.status } : {}),
      ...(p.restartCount !== undefined ? { restartCount: p.restartCount } : {}),
      ...(p.error !== undefined ? { error: p.error } : {}),
    })),
    alerts: result.alerts.map((a) => ({
      type: a.type,
      severity: a.severity,
      ...(a.pod ? { taskId: a.pod.taskId, podName: a.pod.podName } : {}),
      ...(a.reminder ? { reminder: true } : {}),
      summary: alertSummary(a, language),
    })),
  };
}

export function renderTable(
  result: Extract<RunResult, { status: 'completed' }>,
  language: 'en' | 'zh' = 'en',
): string {
  const alerted = new Map<string, string[]>();
  for (const a of result.alerts) {
    if (!a.pod) continue;
    const key = `${a.pod.taskId}/${a.pod.podName}`;
    alerted.set(key, [...(alerted.get(key) ?? []), a.reminder ? `${a.type} (reminder)` : a.type]);
  }
  const rows = result.pods.map((p) => {
    const types = alerted.get(`${p.pod.taskId}/${p.pod.podName}`);
    const verdict = p.health === 'check-failed' ? `check-failed: ${p.error ?? ''}` : p.health;
    return [
      p.pod.name ?? p.pod.podName,
      p.status ?? '-',
      p.restartCount === undefined ? '-' : String(p.restartCount),
      p.hostName ?? '-',
      types ? `${verdict} [alert: ${types.join(', ')}]` : verdict,
    ];
  });
  const header = ['POD', 'STATUS', 'RESTARTS', 'HOST', 'VERDICT'];
  const widths = header.map((h, i) =>
    Math.min(i === 4 ? 200 : 48, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))),
  );
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.slice(0, widths[i]).padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const runWide = result.alerts.filter((a) => !a.pod);
  return [
    `Checked ${result.pods.length} pod(s) at ${result.checkedAt}`,
    fmt(header),
    ...rows.map(fmt),
    ...runWide.map((a) => `Run-wide ${a.type}: ${alertSummary(a, language)}`),
    '',
  ].join('\n');
}

async function silenceTarget(
  values: { config?: unknown; state?: unknown; table?: unknown },
  io: CliIo,
): Promise<SilenceStoreTarget> {
  if (typeof values.table === 'string') {
    if (typeof values.config === 'string' || typeof values.state === 'string') {
      throw new UsageError('give either --table NAME or --config FILE [--state FILE], not both');
    }
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(values.table))
      throw new UsageError('--table must be a DynamoDB table name');
    if (!io.tableStore) throw new UsageError('--table is not available in this build');
    return { store: await io.tableStore(values.table), where: `table ${values.table}` };
  }
  let statePath: string;
  if (typeof values.state === 'string') statePath = values.state;
  else if (typeof values.config === 'string') statePath = defaultStatePath(values.config);
  else throw new UsageError('--config FILE (or --state FILE, or --table NAME) is required');
  return { store: new FileStateStore(statePath), where: statePath };
}

async function silenceCommand(
  command: 'silence' | 'silences' | 'unsilence',
  args: readonly string[],
  io: CliIo,
) {
  let parsed: ReturnType<typeof parseSilenceArgs>;
  try {
    parsed = parseSilenceArgs(args, command === 'unsilence');
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (see --help)`);
  }
  const { values, positionals } = parsed;
  const now = io.now?.() ?? new Date();
  const target = await silenceTarget(values, io);
  if (command === 'silences') {
    const list = await listSilences(target, now);
    io.stdout(values.json ? `${JSON.stringify({ silences: list }, null, 2)}\n` : renderSilences(list, now));
    return EXIT.OK;
  }
  if (command === 'unsilence') {
    const id = positionals[0];
    if (!id || positionals.length > 1)
      throw new UsageError('unsilence takes one silence ID (see `pod-watch silences`)');
    if (!(await removeSilence(target, id, now)))
      throw new UsageError(`no active silence with ID ${id} in ${target.where}`);
    io.stdout(`Silence ${id} ended.\n`);
    return EXIT.OK;
  }
  if (typeof values.task !== 'string') throw new UsageError('--task ID is required');
  if (typeof values.for !== 'string')
    throw new UsageError('--for DURATION is required (such as 30m, 2h or 1d)');
  if (typeof values.reason !== 'string' || values.reason.trim() === '') {
    throw new UsageError('--reason TEXT is required: say why, for whoever sees the silence next');
  }
  const silence = await addSilence(
    target,
    {
      task: values.task,
      ...(typeof values.pod === 'string' ? { pod: values.pod } : {}),
      for: values.for,
      reason: values.reason,
    },
    now,
  );
  io.stdout(
    `Silence ${silence.id}: alerts for ${silence.podName ?? 'every pod of'} task ${silence.taskId} held until ` +
      `${silence.expiresAt} or until the pod recovers (in ${target.where}).\n`,
  );
  return EXIT.OK;
}

function parseSilenceArgs(args: readonly string[], allowPositionals: boolean) {
  return parseArgs({
    args: [...args],
    options: {
      config: { type: 'string' },
      state: { type: 'string' },
      table: { type: 'string' },
      task: { type: 'string' },
      pod: { type: 'string' },
      for: { type: 'string' },
      reason: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals,
  });
}

async function testAlertCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    'topic-arn': { type: 'string' },
    language: { type: 'string', default: 'en' },
  });
  const topicArn = values['topic-arn'];
  if (
    typeof topicArn !== 'string' ||
    !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(topicArn)
  ) {
    throw new UsageError('--topic-arn must be an SNS topic ARN (the TopicArn output of the stack)');
  }
  if (values.language !== 'en' && values.language !== 'zh')
    throw new UsageError('--language must be en or zh');
  if (!io.snsNotifier) throw new UsageError('test-alert is not available in this build');
  const { sampleNotification } = await import('./sample-alert');
  const notification = sampleNotification(values.language, new Date());
  const notifier = await io.snsNotifier(topicArn);
  await notifier.send(notification);
  io.stdout(`Sent a sample alert to ${topicArn}: "${notification.subject}". Check your email and phone.\n`);
  return EXIT.OK;
}
