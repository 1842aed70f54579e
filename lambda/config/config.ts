/**
 * The one configuration schema shared by the CLI, the Lambda handler and the CDK app.
 * Every field is validated here; errors name the field (`pods[2].taskId: expected a UUID`).
 */
import { z } from 'zod';
import { findWindowProblems } from '../core/maintenance-windows';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Kubernetes DNS-1123 subdomain: this also refuses '/', '%', '..' and anything else that could
// bend the request path, before the client URL-encodes the segment anyway.
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const E164_RE = /^\+[1-9][0-9]{1,14}$/;
const EMAIL_RE = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
const RATE_RE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON_RE = /^cron\(\S+( \S+){5}\)$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const DEFAULT_API_BASE_URL = 'https://api.alayanew.com';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A whole number in [min, max] whose error says so in one phrase. */
function intIn(min: number, max: number) {
  const msg = `expected a whole number from ${min} to ${max}`;
  return z.number().int(msg).min(min, msg).max(max, msg);
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Validates `https://` (or `http://` on loopback) and normalises away a trailing slash. */
const apiBaseUrlSchema = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected an absolute URL such as ${DEFAULT_API_BASE_URL}` });
    return z.NEVER;
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected an https:// URL (http:// is allowed only for 127.0.0.1, localhost and [::1])',
    });
    return z.NEVER;
  }
  if (url.username || url.password) {
    ctx.addIssue({
      code: 'custom',
      message: 'must not contain credentials; the API key comes from its key source',
    });
    return z.NEVER;
  }
  if (url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: 'must not contain a query string or fragment' });
    return z.NEVER;
  }
  return url.toString().replace(/\/+$/, '');
});

export const podSchema = z.strictObject({
  taskId: z.string().regex(UUID_RE, 'expected a UUID such as ca78d6b9-e196-5a0f-b1be-ab036b3cb91a'),
  podName: z
    .string()
    .min(1, 'expected a pod name')
    .max(253, 'expected at most 253 characters (Kubernetes pod name)')
    .regex(
      DNS1123_SUBDOMAIN_RE,
      'expected a Kubernetes pod name: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
    ),
  name: z.string().min(1, 'expected a non-empty label').max(64, 'expected at most 64 characters').optional(),
});

export const alertsSchema = z.strictObject({
  failureThreshold: intIn(1, 100).default(1),
  checkFailureThreshold: intIn(1, 100).default(3),
  reminderMinutes: intIn(0, 10_080).default(240),
  sendRecovered: z.boolean().default(true),
  language: z.enum(['en', 'zh']).default('en'),
  emails: z.array(z.string().regex(EMAIL_RE, 'expected an email address')).max(100).default([]),
  phones: z
    .array(z.string().regex(E164_RE, 'expected a phone number in E.164 form, such as +8613800138000'))
    .max(100)
    .default([]),
  smsSeverities: z.array(z.enum(SEVERITIES)).min(1).default(['critical']),
});

export const lambdaSchema = z.strictObject({
  reserveConcurrency: z.boolean().default(true),
  memorySizeMb: intIn(128, 10_240).default(256),
});

const LOCAL_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;
const timeZoneSchema = z.string().refine(isValidTimeZone, 'expected an IANA time zone such as Asia/Shanghai');

export const metricsSchema = z.strictObject({
  perPod: z.boolean().default(false),
});

export const digestSchema = z.strictObject({
  at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a local time "HH:MM", such as "09:00"'),
  timezone: timeZoneSchema,
});

const windowPodSchema = z.strictObject({
  taskId: podSchema.shape.taskId,
  podName: podSchema.shape.podName.optional(),
});

export const maintenanceWindowSchema = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/,
        'expected a name of 1-64 letters, digits, spaces, "_", "." or "-"',
      ),
    timezone: timeZoneSchema,
    recurring: z
      .strictObject({
        cron: z
          .string()
          .regex(
            /^\S+ \S+ \S+ \S+ \S+$/,
            'expected a 5-field cron "minute hour day-of-month month day-of-week", such as "0 2 * * 6"',
          ),
        durationMinutes: intIn(1, 10_080),
      })
      .optional(),
    oneOff: z
      .strictObject({
        start: z.string().regex(LOCAL_TIME_RE, 'expected a local time "YYYY-MM-DDTHH:MM"'),
        end: z.string().regex(LOCAL_TIME_RE, 'expected a local time "YYYY-MM-DDTHH:MM"'),
      })
      .refine((w) => w.end > w.start, { message: 'expected end after start', path: ['end'] })
      .optional(),
    pods: z
      .array(windowPodSchema)
      .min(1, 'expected at least one pod, or leave "pods" out for all pods')
      .optional(),
    allowCritical: z.boolean().default(false),
  })
  .refine((w) => (w.recurring === undefined) !== (w.oneOff === undefined), {
    message: 'expected exactly one of "recurring" or "oneOff"',
  });

export const WEBHOOK_TYPES = ['dingtalk', 'feishu', 'wecom', 'slack'] as const;
export type WebhookType = (typeof WEBHOOK_TYPES)[number];

export const webhookSchema = z.strictObject({
  /** Looks up the URL (and signing secret) in the secret's "webhooks" object: never in the config. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'expected a name of 1-32 lowercase letters, digits or "-"'),
  type: z.enum(WEBHOOK_TYPES),
  severities: z.array(z.enum(SEVERITIES)).min(1).default(['critical', 'warning', 'info']),
});

export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    pods: z.array(podSchema).min(1, 'expected at least one pod').max(5_000, 'expected at most 5000 pods'),
    apiBaseUrl: apiBaseUrlSchema.default(DEFAULT_API_BASE_URL),
    concurrency: intIn(1, 64).default(8),
    timeoutSeconds: z
      .number()
      .min(1, 'expected a number of seconds from 1 to 60')
      .max(60, 'expected a number of seconds from 1 to 60')
      .default(10),
    retries: intIn(0, 5).default(2),
    alerts: alertsSchema.default(() => alertsSchema.parse({})),
    schedule: z
      .string()
      .refine((s) => {
        const m = RATE_RE.exec(s);
        if (m) return Number(m[1]) >= 1 && (Number(m[1]) === 1) === !m[2]?.endsWith('s');
        return CRON_RE.test(s);
      }, 'expected "rate(N minutes)" (N >= 1; "rate(1 minute)" for one) or a 6-field "cron(...)" expression')
      .default('rate(5 minutes)'),
    timezone: z
      .string()
      .refine(isValidTimeZone, 'expected an IANA time zone such as Asia/Shanghai')
      .optional(),
    /**
     * For a cron(...) schedule: the longest gap between two runs, in minutes (a weekday business-
     * hours schedule has a weekend gap). The heartbeat alarm waits three such gaps before it fires.
     */
    runIntervalMinutes: intIn(1, 10_080).optional(),
    apiKeySecret: z
      .string()
      .min(1)
      .max(2048)
      .regex(/^[A-Za-z0-9/_+=.@:-]+$/, 'expected a Secrets Manager secret name or ARN')
      .optional(),
    lambda: lambdaSchema.default(() => lambdaSchema.parse({})),
    metrics: metricsSchema.default(() => metricsSchema.parse({})),
    digest: digestSchema.optional(),
    maintenanceWindows: z.array(maintenanceWindowSchema).max(50).default([]),
    webhooks: z.array(webhookSchema).max(10).default([]),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.pods.forEach((pod, i) => {
      const key = `${pod.taskId.toLowerCase()}/${pod.podName}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['pods', i],
          message: `duplicate of pods[${first}] (same taskId and podName)`,
        });
      } else {
        seen.set(key, i);
      }
    });
    const windowNames = new Set<string>();
    cfg.maintenanceWindows.forEach((w, i) => {
      if (windowNames.has(w.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['maintenanceWindows', i, 'name'],
          message: `duplicate name "${w.name}"`,
        });
      }
      windowNames.add(w.name);
    });
    for (const problem of findWindowProblems(cfg.maintenanceWindows)) {
      ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    }
    const webhookNames = new Set<string>();
    cfg.webhooks.forEach((w, i) => {
      if (webhookNames.has(w.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['webhooks', i, 'name'],
          message: `duplicate name "${w.name}"`,
        });
      }
      webhookNames.add(w.name);
    });
    if (cfg.schedule.startsWith('cron(') && cfg.runIntervalMinutes === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['runIntervalMinutes'],
        message:
          'required with a cron(...) schedule: the longest gap between two runs in minutes (e.g. 10 for ' +
          'cron(0/10 * * * ? *); 3550 for weekdays 08:00-20:50, whose longest gap is the weekend), so the ' +
          'heartbeat alarm does not fire between runs',
      });
    }
    if (cfg.runIntervalMinutes !== undefined && !cfg.schedule.startsWith('cron(')) {
      ctx.addIssue({
        code: 'custom',
        path: ['runIntervalMinutes'],
        message: 'only applies to cron(...) schedules (a rate(...) schedule gives its own interval)',
      });
    }
    if (cfg.timezone !== undefined && !cfg.schedule.startsWith('cron(')) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'only applies to cron(...) schedules' });
    }
  });

export type PodWatchConfig = z.output<typeof configSchema>;
export type PodWatchConfigInput = z.input<typeof configSchema>;
export type PodConfig = z.output<typeof podSchema>;
export type AlertSettings = z.output<typeof alertsSchema>;
export type MaintenanceWindow = z.output<typeof maintenanceWindowSchema>;
export type DigestSettings = z.output<typeof digestSchema>;
export type WebhookConfig = z.output<typeof webhookSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly issues: readonly string[] = [message],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `['pods', 2, 'taskId']` → `pods[2].taskId` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(config)' : out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see config/pod-watch.schema.json)`;
    case 'invalid_type':
      // A non-integer number fails `.int()` as a type issue; its own message says what is expected.
      if (issue.expected === 'int' && typeof issue.input === 'number') return `${where}: ${issue.message}`;
      return `${where}: expected ${issue.expected}${issue.input === undefined ? ' (missing)' : `, got ${describeValue(issue.input)}`}`;
    case 'too_small':
    case 'too_big':
    case 'invalid_value':
      return `${where}: ${issue.message.replace(/^Invalid (input|option): /, '').replace(/^Too (small|big): /, '')}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

/** Parses an already-decoded JSON value; throws ConfigError listing every problem. */
export function parseConfig(input: unknown, source = 'config'): PodWatchConfig {
  const result = configSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues.map(describeIssue);
  throw new ConfigError(`${source}: ${issues.join('; ')}`, issues, { cause: result.error });
}

/** Parses the text of a config file. */
export function parseConfigText(text: string, source = 'config'): PodWatchConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${source}: not valid JSON (${(err as Error).message})`, undefined, { cause: err });
  }
  return parseConfig(json, source);
}

/** Pod identity used as the state key: the pair is unique in a valid config. */
export function podKey(pod: { taskId: string; podName: string }): string {
  return `${pod.taskId.toLowerCase()}/${pod.podName}`;
}

/** The JSON Schema editors use; generated from the same zod schema (see bin/generate-schema.ts). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
