import {
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerKeySource } from '../../../lambda/adapters/secrets-manager-key-source';
import { KeySourceError } from '../../../lambda/core/errors';

const SECRET_ID = 'alaya-pod-watch/api-key';
const KEY = 'sk-LEAKCHECK-123';
const sm = mockClient(SecretsManagerClient);

function sdkError(name: string, message = `${name} happened`): SecretsManagerServiceException {
  return new SecretsManagerServiceException({ name, message, $fault: 'client', $metadata: {} });
}

describe('SecretsManagerKeySource', () => {
  let now: number;
  let client: SecretsManagerClient;

  const source = (cacheTtlMs?: number) =>
    new SecretsManagerKeySource({ client, secretId: SECRET_ID, clock: () => now, cacheTtlMs });

  /** Every message in the error and its cause chain, as the logger would print them. */
  async function failure(promise: Promise<unknown>): Promise<{ error: KeySourceError; text: string }> {
    const error = await promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KeySourceError);
    const parts: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause)
      parts.push(e.name, e.message, String(e.stack));
    const text = parts.join('\n');
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('LEAKCHECK');
    return { error: error as KeySourceError, text: (error as Error).message };
  }

  beforeEach(() => {
    sm.reset();
    now = 1_800_000_000_000;
    client = new SecretsManagerClient({});
  });
  afterEach(() => client.destroy());

  describe('secret shapes', () => {
    it.each([
      ['plain text', KEY],
      ['plain text with whitespace', `  ${KEY}\n`],
      ['JSON', JSON.stringify({ apiKey: KEY })],
      ['JSON with other fields and padding', ` {"apiKey": " ${KEY} ", "note": "rotated"}\n`],
    ])('reads the key from %s', async (_label, secretString) => {
      sm.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: secretString });
      await expect(source().getKey()).resolves.toBe(KEY);
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    });
  });

  describe('cache', () => {
    it('calls Secrets Manager once for several reads within 5 minutes, then again', async () => {
      sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: KEY }).resolves({ SecretString: 'sk-NEW' });
      const keys = source();
      await expect(keys.getKey()).resolves.toBe(KEY);
      now += 60_000;
      await expect(keys.getKey()).resolves.toBe(KEY);
      now += 4 * 60_000 - 1;
      await expect(keys.getKey()).resolves.toBe(KEY);
      expect(keys.callCount).toBe(1);
      now += 1;
      await expect(keys.getKey()).resolves.toBe('sk-NEW');
      expect(keys.callCount).toBe(2);
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    });

    it('honours a custom TTL', async () => {
      sm.on(GetSecretValueCommand).resolves({ SecretString: KEY });
      const keys = source(1_000);
      await keys.getKey();
      now += 1_000;
      await keys.getKey();
      expect(keys.callCount).toBe(2);
    });

    it('shares one request between concurrent callers', async () => {
      sm.on(GetSecretValueCommand).resolves({ SecretString: KEY });
      const keys = source();
      await expect(Promise.all([keys.getKey(), keys.getKey(), keys.getKey()])).resolves.toEqual([
        KEY,
        KEY,
        KEY,
      ]);
      expect(keys.callCount).toBe(1);
    });

    it('forceRefresh fetches again and caches the new key', async () => {
      sm.on(GetSecretValueCommand)
        .resolvesOnce({ SecretString: KEY })
        .resolves({ SecretString: 'sk-ROTATED' });
      const keys = source();
      await keys.getKey();
      await expect(keys.getKey({ forceRefresh: true })).resolves.toBe('sk-ROTATED');
      await expect(keys.getKey()).resolves.toBe('sk-ROTATED');
      expect(keys.callCount).toBe(2);
    });

    it('does not cache failures, and a failed forceRefresh drops the rejected key', async () => {
      sm.on(GetSecretValueCommand)
        .resolvesOnce({ SecretString: KEY })
        .rejectsOnce(new InternalServiceError({ message: 'boom', $metadata: {} }))
        .resolves({ SecretString: 'sk-ROTATED' });
      const keys = source();
      await keys.getKey();
      await failure(keys.getKey({ forceRefresh: true }));
      await expect(keys.getKey()).resolves.toBe('sk-ROTATED');
      expect(keys.callCount).toBe(3);
    });
  });

  describe('errors', () => {
    it('names a missing secret', async () => {
      sm.on(GetSecretValueCommand).rejects(
        new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret.",
          $metadata: {},
        }),
      );
      const { error, text } = await failure(source().getKey());
      expect(text).toBe(`secret ${SECRET_ID} not found`);
      expect(error.cause).toBeInstanceOf(ResourceNotFoundException);
    });

    it('explains access denied', async () => {
      sm.on(GetSecretValueCommand).rejects(sdkError('AccessDeniedException'));
      const { text } = await failure(source().getKey());
      expect(text).toContain(`access to secret ${SECRET_ID} denied`);
      expect(text).toContain('secretsmanager:GetSecretValue');
    });

    it.each(['ThrottlingException', 'InternalServiceError', 'ServiceUnavailable', 'DecryptionFailure'])(
      'names the SDK error %s',
      async (name) => {
        sm.on(GetSecretValueCommand).rejects(sdkError(name));
        const { text } = await failure(source().getKey());
        expect(text).toContain(SECRET_ID);
        expect(text).toContain(name);
      },
    );

    it('rejects a binary secret', async () => {
      sm.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode(KEY) });
      const { text } = await failure(source().getKey());
      expect(text).toContain(`secret ${SECRET_ID} has no SecretString`);
    });

    it.each(['', '   \n'])('rejects an empty secret %j', async (secretString) => {
      sm.on(GetSecretValueCommand).resolves({ SecretString: secretString });
      const { text } = await failure(source().getKey());
      expect(text).toBe(`secret ${SECRET_ID} is empty`);
    });

    it.each([
      ['no apiKey', JSON.stringify({ key: KEY })],
      ['apiKey not a string', JSON.stringify({ apiKey: 123, other: KEY })],
      ['apiKey null', JSON.stringify({ apiKey: null, token: KEY })],
    ])('rejects JSON with %s', async (_label, secretString) => {
      sm.on(GetSecretValueCommand).resolves({ SecretString: secretString });
      const { text } = await failure(source().getKey());
      expect(text).toBe(
        `secret ${SECRET_ID} holds JSON without an "apiKey" string: store the key as plain text or as {"apiKey":"..."}`,
      );
    });

    it('rejects text that starts like JSON but does not parse, without quoting it', async () => {
      sm.on(GetSecretValueCommand).resolves({ SecretString: `{"apiKey": "${KEY}"` });
      const { error, text } = await failure(source().getKey());
      expect(text).toContain('not valid JSON');
      expect(error.cause).toBeUndefined();
    });

    it.each([JSON.stringify({ apiKey: '' }), '{"apiKey": "  "}'])(
      'explains the deploy-time placeholder %s',
      async (secretString) => {
        sm.on(GetSecretValueCommand).resolves({ SecretString: secretString });
        const { text } = await failure(source().getKey());
        expect(text).toBe(
          `secret ${SECRET_ID} has no API key yet: put it with aws secretsmanager put-secret-value --secret-id ${SECRET_ID} --secret-string '<key>'`,
        );
      },
    );

    it('never leaks a key it already holds into a later error', async () => {
      sm.on(GetSecretValueCommand)
        .resolvesOnce({ SecretString: KEY })
        .rejects(sdkError('ThrottlingException', 'Rate exceeded'));
      const keys = source();
      await keys.getKey();
      await failure(keys.getKey({ forceRefresh: true }));
    });
  });
});

describe('SecretsManagerKeySource when Secrets Manager is briefly unavailable', () => {
  let now: number;
  let client: SecretsManagerClient;
  const throttled = () =>
    new SecretsManagerServiceException({
      name: 'ThrottlingException',
      message: 'Rate exceeded',
      $fault: 'client',
      $metadata: {},
    });

  beforeEach(() => {
    sm.reset();
    now = 1_800_000_000_000;
    client = new SecretsManagerClient({});
  });
  afterEach(() => client.destroy());

  it('serves the expired key read less than an hour ago, and only that', async () => {
    const source = new SecretsManagerKeySource({ client, secretId: SECRET_ID, clock: () => now });
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: KEY }).rejects(throttled());
    expect(await source.getKey()).toBe(KEY);
    now += 6 * 60_000;
    expect(await source.getKey()).toBe(KEY);
    expect(source.staleServed).toBe(1);
    now += 60 * 60_000;
    await expect(source.getKey()).rejects.toBeInstanceOf(KeySourceError);
  });

  it('never serves a key the API rejected (forceRefresh) when the re-read fails', async () => {
    const source = new SecretsManagerKeySource({ client, secretId: SECRET_ID, clock: () => now });
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: KEY }).rejects(throttled());
    await source.getKey();
    await expect(source.getKey({ forceRefresh: true })).rejects.toBeInstanceOf(KeySourceError);
    await expect(source.getKey()).rejects.toBeInstanceOf(KeySourceError);
  });
});
