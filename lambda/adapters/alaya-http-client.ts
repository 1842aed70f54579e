/**
 * PodApi over node:http(s) for `GET {apiBaseUrl}/v1/training/instance/{id}/{podName}/basic`.
 *
 * The provider documents neither whether the HTTP status mirrors the body's `status` nor its error
 * codes (real deployments answered HTTP 401 with body 40401), so every answer is judged on both, and
 * every failure becomes a CheckOutcome: the core must be able to alert on a broken API, not crash.
 */
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { PodWatchError } from '../core/errors';
import type { PodApi } from '../core/ports';
import type { CheckError, CheckOutcome, PodInfo, PodRef } from '../core/types';

/** Far above a real answer (about 300 bytes); a larger body is a misrouted download, not pod info. */
export const MAX_BODY_BYTES = 1024 * 1024;
const MESSAGE_LIMIT = 200;
const REDACTED = '[redacted]';
const USER_AGENT = 'alaya-pod-watch';

export interface AlayaHttpClientOptions {
  /** Already validated, no trailing slash; may carry a path prefix (`https://host/api/osm`). */
  baseUrl: string;
  /** Per attempt, covering connect, headers and the whole body. */
  timeoutMs: number;
  /** Extra attempts after the first, for transient failures only. */
  retries: number;
  keepAlive?: boolean;
  maxSockets?: number;
  backoff?: { baseMs?: number; capMs?: number };
  /** A longer Retry-After is not waited for: the run would overrun its schedule. */
  maxRetryAfterMs?: number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The options cannot work (the URL is not http(s), a number is out of range). */
export class AlayaClientOptionsError extends PodWatchError {}

const POD_STRING_FIELDS = [
  'clusterName',
  'hostName',
  'namespace',
  'hostIp',
  'status',
  'podIp',
  'qosClass',
  'createBy',
  'createTime',
] as const satisfies readonly (keyof PodInfo)[];

export type Classification =
  | { ok: true; pod: PodInfo }
  | { ok: false; error: CheckError; retryable: boolean; apiStatus?: number };

export interface ResponseFacts {
  httpStatus: number;
  bodyText: string;
  contentType?: string;
  /** Named in "wrong base URL" hints; must be host and path only. */
  apiBaseUrl: string;
  /** Scrubbed before truncation, so that a cut can never leave a prefix of the key behind. */
  secret?: string;
}

/** Replaces every occurrence of the secret; an empty secret would match everywhere, so it is skipped. */
export function scrubSecret(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join(REDACTED);
}

/** Server text goes into alert emails and SMS: one line, bounded, no key. */
function cleanServerText(text: string, secret: string | undefined): string {
  const oneLine = scrubSecret(text, secret)
    .replace(/\p{Cc}+/gu, ' ')
    .trim();
  return oneLine.length > MESSAGE_LIMIT ? `${oneLine.slice(0, MESSAGE_LIMIT)}…` : oneLine;
}

function describeType(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return `number ${value}`;
  return typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks every documented field and keeps only those, so an extra field cannot leak into state. */
export function validatePodInfo(data: unknown): { pod: PodInfo } | { problems: string[] } {
  if (!isRecord(data)) return { problems: [`data: expected an object, got ${describeType(data)}`] };
  const problems: string[] = [];
  for (const field of POD_STRING_FIELDS) {
    const value = data[field];
    if (typeof value !== 'string')
      problems.push(`data.${field}: expected a string, got ${describeType(value)}`);
  }
  const restarts = data.restartCount;
  if (typeof restarts !== 'number' || !Number.isSafeInteger(restarts) || restarts < 0) {
    const got = typeof restarts === 'number' ? String(restarts) : describeType(restarts);
    problems.push(`data.restartCount: expected a non-negative integer, got ${got}`);
  }
  if (problems.length > 0) return { problems };
  const d = data as unknown as PodInfo;
  return {
    pod: {
      clusterName: d.clusterName,
      hostName: d.hostName,
      namespace: d.namespace,
      hostIp: d.hostIp,
      status: d.status,
      podIp: d.podIp,
      restartCount: d.restartCount,
      qosClass: d.qosClass,
      createBy: d.createBy,
      createTime: d.createTime,
    },
  };
}

function isAuthStatus(apiStatus: number | undefined): boolean {
  return (
    apiStatus === 401 ||
    apiStatus === 403 ||
    (apiStatus !== undefined && apiStatus >= 40000 && apiStatus <= 40999)
  );
}

function isTransientStatus(status: number | undefined): boolean {
  return status === 429 || (status !== undefined && status >= 500 && status <= 599);
}

/**
 * Judges one complete answer. Order matters: a rejected key wins over everything (the core raises
 * one run-wide alert for it), and a non-JSON 2xx/404 is reported as a wrong base URL rather than as
 * "pod not found", because a wrong path prefix would otherwise look like every pod had vanished.
 */
export function classifyResponse(facts: ResponseFacts): Classification {
  const { httpStatus, bodyText, contentType = '', apiBaseUrl, secret } = facts;
  const is2xx = httpStatus >= 200 && httpStatus <= 299;

  let json: unknown;
  let parsed = false;
  try {
    json = JSON.parse(bodyText);
    parsed = true;
  } catch {
    // Judged below: what the non-JSON body means depends on the HTTP status.
  }
  const body = parsed && isRecord(json) ? json : undefined;
  const apiStatus = typeof body?.status === 'number' ? body.status : undefined;
  const apiMessage =
    body && typeof body.message === 'string' && body.message !== ''
      ? cleanServerText(body.message, secret)
      : undefined;
  const bodyPart =
    apiStatus !== undefined ? `body status ${apiStatus}${apiMessage ? `: ${apiMessage}` : ''}` : undefined;
  const fail = (kind: CheckError['kind'], message: string, retryable = false): Classification => ({
    ok: false,
    retryable,
    apiStatus,
    error: { kind, message, httpStatus, ...(apiStatus !== undefined ? { apiStatus } : {}) },
  });

  if (httpStatus === 401 || httpStatus === 403 || isAuthStatus(apiStatus)) {
    return fail('auth', `the API rejected the key (HTTP ${httpStatus}${bodyPart ? `, ${bodyPart}` : ''})`);
  }

  if (!parsed) {
    if (!is2xx && httpStatus !== 404) {
      return fail(
        'http',
        `HTTP ${httpStatus} from the API (${contentType || 'no content-type'} body, not JSON)`,
        isTransientStatus(httpStatus),
      );
    }
    const hint = `apiBaseUrl (${apiBaseUrl}) or its path prefix is probably wrong`;
    const trimmed = bodyText.trimStart();
    if (trimmed === '')
      return fail('not-json', `the API answered HTTP ${httpStatus} with an empty body: ${hint}`);
    if (/json/i.test(contentType) || trimmed.startsWith('{') || trimmed.startsWith('[')) {
      // The parser's own message quotes the body, which may hold the key: give only the size.
      return fail(
        'not-json',
        `the API answered HTTP ${httpStatus} with malformed JSON (${Buffer.byteLength(bodyText)} bytes)`,
      );
    }
    if (/html/i.test(contentType) || trimmed.startsWith('<')) {
      return fail('not-json', `the API answered with an HTML page, not JSON: ${hint}`);
    }
    return fail('not-json', `the API answered with ${contentType || 'an untyped body'}, not JSON: ${hint}`);
  }

  if (httpStatus === 404 || apiStatus === 404) {
    return fail('not-found', `pod or task not found (HTTP ${httpStatus}${bodyPart ? `, ${bodyPart}` : ''})`);
  }
  if (!is2xx) {
    return fail(
      'http',
      `HTTP ${httpStatus} from the API${bodyPart ? ` (${bodyPart})` : ''}`,
      isTransientStatus(httpStatus) || isTransientStatus(apiStatus),
    );
  }
  if (body === undefined) {
    return fail('invalid-response', `the API answered JSON that is not an object (${describeType(json)})`);
  }
  if (apiStatus === undefined) {
    return fail('invalid-response', `status: expected an integer, got ${describeType(body.status)}`);
  }
  if (apiStatus !== 200) {
    return fail(
      'api-status',
      `the API answered ${bodyPart} (HTTP ${httpStatus})`,
      isTransientStatus(apiStatus),
    );
  }
  const checked = validatePodInfo(body.data);
  if ('problems' in checked) return fail('invalid-response', checked.problems.join('; '));
  return { ok: true, pod: checked.pod };
}

/** Seconds (`120`) or an HTTP date; undefined when absent or unreadable, so plain backoff applies. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** Node's agent documents this pair as "the server closed an idle keep-alive socket under us". */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);

type Attempt =
  | { ok: true; pod: PodInfo }
  | {
      ok: false;
      error: CheckError;
      retryable: boolean;
      retryAfterMs?: number;
      staleSocket?: boolean;
    };

export class AlayaHttpClient implements PodApi {
  private readonly base: URL;
  private readonly displayBase: string;
  private readonly basePath: string;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffBaseMs: number;
  private readonly backoffCapMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: AlayaHttpClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch (err) {
      throw new AlayaClientOptionsError(`baseUrl: not an absolute URL (${options.baseUrl})`, { cause: err });
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new AlayaClientOptionsError(`baseUrl: expected http:// or https://, got ${base.protocol}`);
    }
    if (!(options.timeoutMs > 0) || !Number.isFinite(options.timeoutMs)) {
      throw new AlayaClientOptionsError(`timeoutMs: expected a positive number, got ${options.timeoutMs}`);
    }
    if (!Number.isInteger(options.retries) || options.retries < 0) {
      throw new AlayaClientOptionsError(`retries: expected a whole number >= 0, got ${options.retries}`);
    }
    this.base = base;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.displayBase = `${base.protocol}//${base.host}${this.basePath}`;
    this.timeoutMs = options.timeoutMs;
    this.retries = options.retries;
    this.backoffBaseMs = options.backoff?.baseMs ?? 250;
    this.backoffCapMs = options.backoff?.capMs ?? 4000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, signal ? { signal } : undefined));
    const agentOptions = {
      keepAlive: options.keepAlive ?? true,
      ...(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {}),
    };
    const https = base.protocol === 'https:';
    this.agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.request = https ? (httpsRequest as typeof httpRequest) : httpRequest;
  }

  /** Destroys pooled sockets so that a CLI or test process can exit. */
  close(): void {
    this.agent.destroy();
  }

  async getPodBasic(pod: PodRef, apiKey: string, signal?: AbortSignal): Promise<CheckOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let attempts = 0;
    const fail = (error: CheckError): CheckOutcome => ({
      ok: false,
      error: { ...error, message: scrubSecret(error.message, apiKey), attempts },
      latencyMs: elapsed(),
    });
    const deadline = (): CheckOutcome =>
      fail({
        kind: 'deadline',
        message: `stopped at the run deadline after ${attempts} attempt${attempts === 1 ? '' : 's'}`,
      });

    // A segment that is empty or only dots would be merged or resolved away by a gateway on the
    // way (`%2E%2E` decodes to `..`), asking for another resource: refuse it without a request.
    for (const [name, value] of [
      ['taskId', pod.taskId],
      ['podName', pod.podName],
    ] as const) {
      if (/^\.*$/.test(value)) {
        return fail({
          kind: 'invalid-response',
          message: `${name} "${value}" cannot be sent as a URL path segment`,
        });
      }
    }
    try {
      const path = `${this.basePath}/v1/training/instance/${encodeSegment(pod.taskId)}/${encodeSegment(pod.podName)}/basic`;
      let retriesUsed = 0;
      let staleRetried = false;
      for (;;) {
        if (signal?.aborted) return deadline();
        attempts++;
        const result = await this.attempt(path, apiKey, signal);
        if (result.ok)
          return { ok: true, pod: scrubPodInfo(result.pod, apiKey), attempts, latencyMs: elapsed() };
        if (result.error.kind === 'deadline') return deadline();
        // A pooled socket the server closed while idle (or while a Lambda was frozen) is not an API
        // failure: one immediate retry on a fresh socket, outside the budget, as Node's docs advise.
        if (result.staleSocket && !staleRetried) {
          staleRetried = true;
          continue;
        }
        if (!result.retryable) return fail(result.error);
        if (result.retryAfterMs !== undefined && result.retryAfterMs > this.maxRetryAfterMs) {
          const status = result.error.httpStatus ?? result.error.apiStatus;
          return fail({
            ...result.error,
            kind: 'http',
            message: `HTTP ${status}: the API asked to wait ${formatSeconds(result.retryAfterMs)} before retrying, longer than the ${formatSeconds(this.maxRetryAfterMs)} this client waits`,
          });
        }
        if (retriesUsed >= this.retries) return fail(result.error);
        const waitMs = result.retryAfterMs ?? this.backoffMs(retriesUsed);
        retriesUsed++;
        try {
          await this.sleep(waitMs, signal);
        } catch (err) {
          if (signal?.aborted) return deadline();
          throw err;
        }
      }
    } catch (err) {
      // Unreachable by design; kept so that a bug here becomes a failed check, not a failed run.
      return fail({
        kind: 'network',
        message: `unexpected client failure: ${(err as Error)?.message ?? err}`,
      });
    }
  }

  /** Full jitter: spreads the retries of many pods that failed together. */
  private backoffMs(retryIndex: number): number {
    return this.random() * Math.min(this.backoffCapMs, this.backoffBaseMs * 2 ** retryIndex);
  }

  private attempt(path: string, apiKey: string, callerSignal: AbortSignal | undefined): Promise<Attempt> {
    const timeoutSignal = AbortSignal.timeout(this.timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeoutSignal]) : timeoutSignal;
    return new Promise<Attempt>((resolve) => {
      let done = false;
      let req: ClientRequest | undefined;
      const finish = (result: Attempt) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const onAbort = () => {
        finish(
          callerSignal?.aborted
            ? { ok: false, retryable: false, error: { kind: 'deadline', message: 'run deadline' } }
            : {
                ok: false,
                retryable: true,
                error: {
                  kind: 'timeout',
                  message: `no complete answer within ${formatSeconds(this.timeoutMs)}`,
                },
              },
        );
        req?.destroy();
      };
      const abortMidBody = (result: Attempt) => {
        finish(result);
        // The rest of the body is unwanted; destroying also keeps the socket out of the pool.
        req?.destroy();
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });

      let gotResponse = false;
      try {
        req = this.request({
          protocol: this.base.protocol,
          // URL keeps the brackets of an IPv6 literal; the socket layer wants the bare address.
          hostname: this.base.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: this.base.port || undefined,
          path,
          method: 'GET',
          agent: this.agent,
          headers: {
            authorization: `Bearer ${apiKey}`,
            accept: 'application/json',
            'user-agent': USER_AGENT,
          },
        });
      } catch (err) {
        finish(networkFailure(err, false));
        return;
      }
      const sent = req;
      sent.on('error', (err) => finish(networkFailure(err, !gotResponse && sent.reusedSocket)));
      sent.on('response', (res: IncomingMessage) => {
        gotResponse = true;
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
          abortMidBody(tooLarge(`Content-Length ${declared}`, res.statusCode));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (done) return;
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            abortMidBody(tooLarge('stopped reading after 1 MiB', res.statusCode));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => finish(networkFailure(err, false)));
        res.on('close', () => {
          if (!res.complete) {
            finish({
              ok: false,
              retryable: true,
              error: {
                kind: 'network',
                message: 'network error ECONNRESET: the connection closed before the body was complete',
              },
            });
          }
        });
        res.on('end', () => {
          const httpStatus = res.statusCode ?? 0;
          const verdict = classifyResponse({
            httpStatus,
            bodyText: Buffer.concat(chunks).toString('utf8'),
            contentType: res.headers['content-type'],
            apiBaseUrl: this.displayBase,
            secret: apiKey,
          });
          if (verdict.ok) {
            finish(verdict);
            return;
          }
          const honoursRetryAfter = [httpStatus, verdict.apiStatus].some((s) => s === 429 || s === 503);
          const retryAfterMs =
            verdict.retryable && honoursRetryAfter
              ? parseRetryAfter(headerText(res.headers['retry-after']), Date.now())
              : undefined;
          finish({
            ok: false,
            error: verdict.error,
            retryable: verdict.retryable,
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          });
        });
      });
      sent.end();
    });
  }
}

function encodeSegment(segment: string): string {
  return encodeURIComponent(segment);
}

/** An API (or a proxy) that echoes the key into the pod's fields must not carry it into alerts, logs or state. */
function scrubPodInfo(pod: PodInfo, secret: string): PodInfo {
  const out = { ...pod };
  for (const [field, value] of Object.entries(out) as [keyof PodInfo, unknown][]) {
    if (typeof value === 'string' && value.includes(secret)) {
      (out as Record<string, unknown>)[field] = scrubSecret(value, secret);
    }
  }
  return out;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function tooLarge(detail: string, httpStatus: number | undefined): Attempt {
  return {
    ok: false,
    retryable: false,
    error: {
      kind: 'too-large',
      message: `the API answer exceeds ${MAX_BODY_BYTES / 1024 / 1024} MiB (${detail})`,
      ...(httpStatus !== undefined ? { httpStatus } : {}),
    },
  };
}

function networkFailure(err: unknown, reusedSocket: boolean): Attempt {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : 'UNKNOWN';
  return {
    ok: false,
    retryable: true,
    staleSocket: reusedSocket && STALE_SOCKET_CODES.has(code),
    error: { kind: 'network', message: `network error ${code}: ${e?.message ?? String(err)}` },
  };
}
