/**
 * A loopback stand-in for the two AWS APIs the handler calls besides DynamoDB (which dynalite
 * covers): Secrets Manager GetSecretValue (awsJson1_1: POST /, `x-amz-target:
 * secretsmanager.GetSecretValue`) and SNS Publish (awsQuery: form-encoded `Action=Publish`, XML
 * answer). Just enough protocol for the real SDK clients, pointed here by `endpoint` or by
 * AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_SNS, to work unmodified.
 *
 * It also enforces the SNS message size limit, because an over-long notification is exactly what a
 * large fleet could produce and what a mock that accepts anything would hide.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** SNS Publish: message plus attributes at most 256 KiB (docs: "262,144 bytes, not 262,144 characters"). */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

export interface PublishRecord {
  /** UTF-8 bytes of Message plus attribute names, types and values, as SNS counts them. */
  bytes: number;
  messageBytes: number;
  subject: string | undefined;
  /** Per-protocol bodies when MessageStructure=json. */
  emailBytes: number | undefined;
  smsChars: number | undefined;
  accepted: boolean;
}

export interface AwsImpersonator {
  readonly url: string;
  readonly secretReads: number;
  readonly publishes: readonly PublishRecord[];
  setSecret(secretString: string): void;
  close(): Promise<void>;
}

export async function startAwsImpersonator(options: { secretString: string }): Promise<AwsImpersonator> {
  let secretString = options.secretString;
  let secretReads = 0;
  const publishes: PublishRecord[] = [];

  const reply = (res: ServerResponse, status: number, contentType: string, body: string) => {
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(body);
  };

  const secretsManager = (target: string, res: ServerResponse, body: string) => {
    const type = 'application/x-amz-json-1.1';
    if (target !== 'secretsmanager.GetSecretValue') {
      reply(res, 400, type, JSON.stringify({ __type: 'UnknownOperationException', message: target }));
      return;
    }
    secretReads++;
    const { SecretId } = JSON.parse(body) as { SecretId?: string };
    reply(
      res,
      200,
      type,
      JSON.stringify({
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SecretId}-AbCdEf`,
        Name: SecretId,
        SecretString: secretString,
        VersionId: '00000000-0000-4000-8000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_764_288_000,
      }),
    );
  };

  const sns = (res: ServerResponse, body: string) => {
    const form = new URLSearchParams(body);
    const xml = 'text/xml';
    if (form.get('Action') !== 'Publish') {
      reply(res, 400, xml, snsError('InvalidAction', `unsupported action ${form.get('Action')}`));
      return;
    }
    const message = form.get('Message') ?? '';
    const messageBytes = Buffer.byteLength(message);
    let bytes = messageBytes;
    for (const [name, value] of form) {
      if (/^MessageAttributes\.entry\.\d+\.(Name|Value\.DataType|Value\.StringValue)$/.test(name)) {
        bytes += Buffer.byteLength(value);
      }
    }
    let emailBytes: number | undefined;
    let smsChars: number | undefined;
    if (form.get('MessageStructure') === 'json') {
      const parts = JSON.parse(message) as { email?: string; sms?: string };
      emailBytes = parts.email === undefined ? undefined : Buffer.byteLength(parts.email);
      smsChars = parts.sms?.length;
    }
    const accepted = bytes <= SNS_MAX_MESSAGE_BYTES;
    publishes.push({
      bytes,
      messageBytes,
      subject: form.get('Subject') ?? undefined,
      emailBytes,
      smsChars,
      accepted,
    });
    if (!accepted) {
      reply(res, 400, xml, snsError('InvalidParameter', 'Invalid parameter: Message too long'));
      return;
    }
    reply(
      res,
      200,
      xml,
      '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>' +
        `<MessageId>${randomUUID()}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string') secretsManager(target, res, body);
      else sns(res, body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get secretReads() {
      return secretReads;
    },
    get publishes() {
      return [...publishes];
    },
    setSecret(value) {
      secretString = value;
    },
    close() {
      // SDK keep-alive sockets would otherwise hold close() open.
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function snsError(code: string, message: string): string {
  return (
    '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>' +
    `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}
