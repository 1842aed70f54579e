import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KeySourceError } from '../core/errors';
import type { KeySource } from '../core/ports';

export interface SecretsManagerKeySourceOptions {
  /** Built once at module scope by the handler, with default config so AWS_ENDPOINT_URL_* applies. */
  client: SecretsManagerClient;
  /** Secret name or ARN. */
  secretId: string;
  /** Epoch milliseconds. */
  clock?: () => number;
  /** How long a warm container may reuse the key; bounds how stale a rotated key can get. */
  cacheTtlMs?: number;
}

export const DEFAULT_KEY_CACHE_TTL_MS = 5 * 60 * 1000;
export const STALE_KEY_MAX_AGE_MS = 60 * 60 * 1000;

/**
 * Reads the Alaya API key from Secrets Manager. The value is cached across warm invocations so a
 * run costs no GetSecretValue call most of the time; a rotated key is picked up after the TTL, or at
 * once when the core asks for `forceRefresh` because the API rejected the cached one.
 *
 * No error message, and no `cause`, may ever carry the secret value: they end up in logs and alerts.
 */
export class SecretsManagerKeySource implements KeySource {
  /** GetSecretValue calls made, for the benchmark. */
  callCount = 0;
  /** Times an expired cached key was served because the secret could not be read. */
  staleServed = 0;

  private readonly client: SecretsManagerClient;
  private readonly secretId: string;
  private readonly clock: () => number;
  private readonly cacheTtlMs: number;
  private cached: { key: string; fetchedAt: number; webhooks: unknown } | undefined;
  /** Concurrent callers share one request instead of each paying for a call. */
  private inFlight: Promise<string> | undefined;

  constructor(options: SecretsManagerKeySourceOptions) {
    this.client = options.client;
    this.secretId = options.secretId;
    this.clock = options.clock ?? Date.now;
    this.cacheTtlMs = options.cacheTtlMs ?? DEFAULT_KEY_CACHE_TTL_MS;
  }

  async getKey(options?: { forceRefresh?: boolean }): Promise<string> {
    if (options?.forceRefresh) {
      // The caller has just seen this key rejected: it must not be served again, even if the refetch fails.
      this.cached = undefined;
    } else {
      if (this.cached && this.clock() - this.cached.fetchedAt < this.cacheTtlMs) return this.cached.key;
      if (this.inFlight) return this.inFlight;
    }
    const stale = options?.forceRefresh ? undefined : this.cached;
    const request = this.fetch();
    this.inFlight = request;
    try {
      return await request;
    } catch (error) {
      // A throttled or briefly unavailable Secrets Manager must not cost a whole run of checks when
      // a key read less than an hour ago is at hand; a key the API rejected is never reused.
      if (stale && this.clock() - stale.fetchedAt < STALE_KEY_MAX_AGE_MS) {
        this.staleServed++;
        return stale.key;
      }
      throw error;
    } finally {
      if (this.inFlight === request) this.inFlight = undefined;
    }
  }

  private async fetch(): Promise<string> {
    const id = this.secretId;
    let secretString: string | undefined;
    this.callCount++;
    try {
      const output = await this.client.send(new GetSecretValueCommand({ SecretId: id }));
      secretString = output.SecretString;
    } catch (error) {
      throw describeSdkError(id, error);
    }
    if (secretString === undefined) {
      throw new KeySourceError(
        `secret ${id} has no SecretString (binary secret?): store the key as text or as {"apiKey":"..."}`,
      );
    }
    const key = parseSecret(id, secretString);
    this.cached = { key, fetchedAt: this.clock(), webhooks: webhooksOf(secretString) };
    return key;
  }

  /**
   * The secret's optional `webhooks` object (chat webhook URLs and signing secrets), read with the
   * key and cached alike, so chat delivery costs no extra Secrets Manager call.
   */
  async getWebhooks(): Promise<unknown> {
    await this.getKey();
    return this.cached?.webhooks;
  }
}

function webhooksOf(secretString: string): unknown {
  const trimmed = secretString.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    return (JSON.parse(trimmed) as Record<string, unknown>).webhooks;
  } catch {
    return undefined;
  }
}

function parseSecret(id: string, secretString: string): string {
  const trimmed = secretString.trim();
  if (trimmed === '') throw new KeySourceError(`secret ${id} is empty`);
  // A real key never starts with "{", so that is the only shape treated as JSON.
  if (!trimmed.startsWith('{')) return trimmed;

  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    // The SyntaxError is deliberately dropped: V8 quotes the offending text in its message.
    throw new KeySourceError(
      `secret ${id} starts with "{" but is not valid JSON: store the key as plain text or as {"apiKey":"..."}`,
    );
  }
  const apiKey =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>).apiKey
      : undefined;
  if (typeof apiKey !== 'string') {
    throw new KeySourceError(
      `secret ${id} holds JSON without an "apiKey" string: store the key as plain text or as {"apiKey":"..."}`,
    );
  }
  const key = apiKey.trim();
  if (key === '') {
    // The stack creates the secret as {"apiKey": ""} so that no key ever passes through CloudFormation.
    throw new KeySourceError(
      `secret ${id} has no API key yet: put it with aws secretsmanager put-secret-value --secret-id ${id} --secret-string '<key>'`,
    );
  }
  return key;
}

function describeSdkError(id: string, error: unknown): KeySourceError {
  const name = errorName(error);
  switch (name) {
    case 'ResourceNotFoundException':
      return new KeySourceError(`secret ${id} not found`, { cause: error });
    case 'AccessDeniedException':
      return new KeySourceError(
        `access to secret ${id} denied (AccessDeniedException): the role needs secretsmanager:GetSecretValue on it`,
        { cause: error },
      );
    case 'DecryptionFailure':
      return new KeySourceError(
        `secret ${id} could not be decrypted (DecryptionFailure): check the KMS key policy`,
        { cause: error },
      );
    case 'InvalidRequestException':
      // Typically a secret scheduled for deletion.
      return new KeySourceError(`secret ${id} cannot be read now (InvalidRequestException)`, {
        cause: error,
      });
    default:
      // Throttling, InternalServiceError, network: transient, the next run will try again.
      return new KeySourceError(`secret ${id} could not be read (${name})`, { cause: error });
  }
}

function errorName(error: unknown): string {
  if (error instanceof Error && error.name) return error.name;
  return 'UnknownError';
}
