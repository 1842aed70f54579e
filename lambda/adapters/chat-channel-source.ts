/**
 * Builds the chat channels of the config from credentials kept outside it (the secret's `webhooks`
 * object on AWS, the POD_WATCH_WEBHOOKS variable locally). A webhook whose credentials are missing
 * or unusable becomes a channel that fails with the reason, so the other channels still deliver
 * and the core keeps that channel's alerts for a later run.
 */
import type { WebhookConfig } from '../config/config';
import type { ChatChannel, ChatChannels } from '../core/ports';
import { createChatChannel } from './chat-webhooks';
import { parseWebhookCredentials } from './webhook-credentials';

export interface ChatChannelSourceOptions {
  allowHttpLoopback?: boolean;
  timeoutMs?: number;
}

export class CredentialChatChannels implements ChatChannels {
  constructor(
    private readonly configs: readonly WebhookConfig[],
    private readonly readCredentials: () => Promise<unknown>,
    private readonly source: string,
    private readonly options: ChatChannelSourceOptions = {},
  ) {}

  async list(): Promise<ChatChannel[]> {
    if (this.configs.length === 0) return [];
    const raw = await this.readCredentials();
    const credentials =
      raw === undefined
        ? {}
        : parseWebhookCredentials(raw, this.source, {
            allowHttpLoopback: this.options.allowHttpLoopback ?? false,
          });
    return this.configs.map((config) => {
      const cred = credentials[config.name];
      if (!cred) return failing(config.name, `no credentials for webhook "${config.name}" in ${this.source}`);
      try {
        return createChatChannel(config, cred, {
          ...(this.options.allowHttpLoopback ? { allowHttpLoopback: true } : {}),
          ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
        });
      } catch (err) {
        return failing(config.name, (err as Error).message);
      }
    });
  }
}

function failing(name: string, reason: string): ChatChannel {
  return {
    name,
    send: async () => {
      throw new Error(reason);
    },
  };
}

/** The CLI's credentials: JSON in an environment variable, never in the config file. */
export function envWebhookCredentials(
  env: NodeJS.ProcessEnv,
  variable = 'POD_WATCH_WEBHOOKS',
): () => Promise<unknown> {
  return async () => {
    const text = env[variable]?.trim();
    if (!text) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Never echo the text: it holds webhook tokens.
      throw new Error(
        `${variable} is not valid JSON (expected {"<webhook name>": {"url": "...", "secret": "..."}})`,
      );
    }
  };
}
