/**
 * The secret half of the chat webhooks: the config names each webhook and its type, the secret maps
 * those names to `{ "url", "secret"? }`. URLs and signing secrets are credentials, so no error here
 * ever prints a value, only the field that is wrong.
 */
import { z } from 'zod';
import { ConfigError, formatPath, type WebhookConfig, webhookSchema } from '../config/config';
import {
  type ChatChannel,
  type ChatChannelOptions,
  checkWebhookUrl,
  createChatChannel,
  type WebhookCredentials,
} from './chat-webhooks';

function entrySchema(allowHttpLoopback: boolean) {
  return z.strictObject({
    url: z.string().superRefine((value, ctx) => {
      const problem = checkWebhookUrl(value, { allowHttpLoopback });
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
    secret: z.string().min(1, 'expected a non-empty string').optional(),
  });
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Zod's own messages may quote the input; these name the field and the expectation only. */
function describeIssue(issue: z.core.$ZodIssue, name: string, entry: Record<string, unknown>): string {
  const where = formatPath(['webhooks', name, ...issue.path]);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (expected "url" and optionally "secret")`;
    case 'invalid_type': {
      const field = issue.path[0];
      const got = typeof field === 'string' ? entry[field] : undefined;
      return `${where}: expected a string${got === undefined ? ' (missing)' : `, got ${describeType(got)}`}`;
    }
    default:
      return `${where}: ${issue.message}`;
  }
}

/**
 * Validates the secret's `webhooks` object, `{ "<name>": { "url": "https://...", "secret"?: "..." } }`.
 * Throws ConfigError listing every problem, prefixed with `source` (where the object came from).
 */
export function parseWebhookCredentials(
  value: unknown,
  source: string,
  options: { allowHttpLoopback?: boolean } = {},
): Record<string, WebhookCredentials> {
  if (!isRecord(value)) {
    const issue = `webhooks: expected an object mapping webhook names to { "url", "secret"? }, got ${describeType(value)}`;
    throw new ConfigError(`${source}: ${issue}`, [issue]);
  }
  const schema = entrySchema(options.allowHttpLoopback === true);
  const issues: string[] = [];
  const result: Record<string, WebhookCredentials> = {};
  Object.entries(value).forEach(([name, entry], index) => {
    if (!webhookSchema.shape.name.safeParse(name).success) {
      // The name is not printed: a URL pasted in the wrong place would otherwise leak into logs.
      issues.push(
        `webhooks: entry ${index + 1} has an invalid name (expected 1-32 lowercase letters, digits or "-", as in the config's webhooks[].name)`,
      );
      return;
    }
    if (!isRecord(entry)) {
      issues.push(`webhooks.${name}: expected an object { "url", "secret"? }, got ${describeType(entry)}`);
      return;
    }
    const parsed = schema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push(describeIssue(issue, name, entry));
      return;
    }
    result[name] = {
      url: parsed.data.url,
      ...(parsed.data.secret !== undefined ? { secret: parsed.data.secret } : {}),
    };
  });
  if (issues.length > 0) throw new ConfigError(`${source}: ${issues.join('; ')}`, issues);
  return result;
}

/**
 * One channel per configured webhook, in config order. Throws one ConfigError naming every webhook
 * without credentials and every credential that does not suit its webhook's type; credentials that
 * no webhook uses are ignored, so a secret can be filled before the config names them.
 */
export function resolveChannels(
  configs: readonly WebhookConfig[],
  credentials: Readonly<Record<string, WebhookCredentials>>,
  options?: ChatChannelOptions,
): ChatChannel[] {
  const issues: string[] = [];
  const channels: ChatChannel[] = [];
  for (const config of configs) {
    const found = Object.hasOwn(credentials, config.name) ? credentials[config.name] : undefined;
    if (found === undefined) {
      issues.push(
        `webhooks[name=${config.name}]: no credentials (add "${config.name}": { "url": ... } to the secret's "webhooks" object)`,
      );
      continue;
    }
    try {
      channels.push(createChatChannel(config, found, options));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues.join('; '), issues);
  return channels;
}
