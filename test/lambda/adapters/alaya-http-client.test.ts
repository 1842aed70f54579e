import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AlayaClientOptionsError,
  AlayaHttpClient,
  type AlayaHttpClientOptions,
  classifyResponse,
  parseRetryAfter,
} from '../../../lambda/adapters/alaya-http-client';
import type { CheckOutcome, PodRef } from '../../../lambda/core/types';
import { defaultPodInfo, type FakeAlayaApi, startFakeAlayaApi } from '../../../simulator/fake-alaya-api';

const KEY = 'demo-key';
const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const POD: PodRef = { taskId: TASK, podName: 'tn-exqr5k7lvj7k-master-0' };

let fake: FakeAlayaApi;
const clients: AlayaHttpClient[] = [];
const servers: Server[] = [];

/** Records backoff waits instead of sleeping, so retry tests are instant and exact. */
function recordingSleep() {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (ms: number) => {
      waits.push(ms);
    },
  };
}

function client(options: Partial<AlayaHttpClientOptions> = {}): AlayaHttpClient {
  const c = new AlayaHttpClient({
    baseUrl: fake.url,
    timeoutMs: 5_000,
    retries: 0,
    sleep: async () => {},
    ...options,
  });
  clients.push(c);
  return c;
}

function expectFailure(outcome: CheckOutcome) {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

/** A tiny server for answers the fake cannot give (echoing the key, stale keep-alive sockets). */
async function adHocServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; sockets: Set<Socket> }> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets };
}

beforeEach(async () => {
  fake = await startFakeAlayaApi({ pathPrefix: '/api/osm', validKeys: [KEY] });
  fake.setPod(TASK, POD.podName, { status: 'Running', restartCount: 2 });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  await fake.close();
});

describe('AlayaHttpClient: success', () => {
  it('reads the pod through a path prefix and sends the documented headers', async () => {
    const seen: IncomingMessage['headers'][] = [];
    const api = await adHocServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ status: 200, message: 'OK', data: { ...defaultPodInfo(), extra: 'dropped' } }),
      );
    });
    const outcome = await client({ baseUrl: `${api.url}/api/osm` }).getPodBasic(POD, KEY);
    expect(outcome).toMatchObject({ ok: true, attempts: 1, pod: defaultPodInfo() });
    expect(outcome.ok && 'extra' in outcome.pod).toBe(false);
    expect(seen[0]).toMatchObject({
      authorization: `Bearer ${KEY}`,
      accept: 'application/json',
      'user-agent': 'alaya-pod-watch',
    });

    const real = await client().getPodBasic(POD, KEY);
    expect(real).toMatchObject({
      ok: true,
      pod: { status: 'Running', restartCount: 2, hostName: 'gpu-node-021' },
    });
    expect(real.latencyMs).toBeGreaterThanOrEqual(0);
    expect(fake.requests[0]?.path).toBe(`/api/osm/v1/training/instance/${TASK}/${POD.podName}/basic`);
  });

  it('URL-encodes the path segments', async () => {
    const odd: PodRef = { taskId: 'task/1?x', podName: 'pod with/slash?#%' };
    fake.setPod(odd.taskId, odd.podName, { hostName: 'encoded-node' });
    const outcome = await client().getPodBasic(odd, KEY);
    expect(outcome).toMatchObject({ ok: true, pod: { hostName: 'encoded-node' } });
    expect(fake.requests[0]?.path).toBe(
      '/api/osm/v1/training/instance/task%2F1%3Fx/pod%20with%2Fslash%3F%23%25/basic',
    );
  });

  it('refuses dot-only and empty segments without a request, since a gateway would resolve them away', async () => {
    for (const podName of ['..', '.', '']) {
      const error = expectFailure(await client().getPodBasic({ taskId: TASK, podName }, KEY));
      expect(error.message).toContain('cannot be sent as a URL path segment');
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('follows a trickling answer that completes within the timeout', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'trickle', intervalMs: 2, bytesPerTick: 40 });
    const outcome = await client({ timeoutMs: 10_000 }).getPodBasic(POD, KEY);
    expect(outcome).toMatchObject({ ok: true, pod: { restartCount: 2 } });
  });
});

describe('AlayaHttpClient: classification of faults', () => {
  it('a wrong key is auth with both statuses in the message', async () => {
    const error = expectFailure(await client({ retries: 3 }).getPodBasic(POD, 'wrong-key'));
    expect(error).toMatchObject({ kind: 'auth', httpStatus: 401, apiStatus: 40401, attempts: 1 });
    expect(error.message).toBe('the API rejected the key (HTTP 401, body status 40401: Unauthorized)');
    expect(fake.requests).toHaveLength(1);
  });

  it('the auth fault is auth', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'auth' });
    expect(expectFailure(await client().getPodBasic(POD, KEY)).kind).toBe('auth');
  });

  it.each([
    [{ status: 403 }, 'auth'],
    [{ status: 40001 }, 'auth'],
    [{ status: 404 }, 'not-found'],
    [{ status: 500, message: 'Internal Server Error' }, 'api-status'],
    [{ status: 302 }, 'api-status'],
  ] as const)('body status %o on HTTP 200 is %s', async (fault, kind) => {
    fake.setFault(TASK, POD.podName, { kind: 'body-status', ...fault });
    const error = expectFailure(await client().getPodBasic(POD, KEY));
    expect(error).toMatchObject({ kind, httpStatus: 200, apiStatus: fault.status });
  });

  it('api-status includes the body message', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'body-status', status: 500, message: 'db down' });
    const error = expectFailure(await client().getPodBasic(POD, KEY));
    expect(error.message).toBe('the API answered body status 500: db down (HTTP 200)');
  });

  it('an unknown pod and the not-found fault are not-found', async () => {
    const unknown = expectFailure(await client().getPodBasic({ taskId: TASK, podName: 'gone-0' }, KEY));
    expect(unknown).toMatchObject({ kind: 'not-found', httpStatus: 404, apiStatus: 404 });
    expect(unknown.message).toMatch(/^pod or task not found/);
    fake.setFault(TASK, POD.podName, { kind: 'not-found' });
    expect(expectFailure(await client().getPodBasic(POD, KEY)).kind).toBe('not-found');
  });

  it('an HTML page on HTTP 200 is not-json and blames the base URL, without the key', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'html' });
    const error = expectFailure(await client().getPodBasic(POD, KEY));
    expect(error.kind).toBe('not-json');
    expect(error.message).toBe(
      `the API answered with an HTML page, not JSON: apiBaseUrl (${fake.url}) or its path prefix is probably wrong`,
    );
  });

  it('a missing path prefix (HTML 404) is not-json, not not-found', async () => {
    const withoutPrefix = fake.url.replace(/\/api\/osm$/, '');
    const error = expectFailure(await client({ baseUrl: withoutPrefix, retries: 2 }).getPodBasic(POD, KEY));
    expect(error).toMatchObject({ kind: 'not-json', httpStatus: 404, attempts: 1 });
    expect(error.message).toContain(`apiBaseUrl (${withoutPrefix}) or its path prefix is probably wrong`);
  });

  it('malformed JSON is not-json', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'malformed-json' });
    const error = expectFailure(await client({ retries: 2 }).getPodBasic(POD, KEY));
    expect(error).toMatchObject({ kind: 'not-json', attempts: 1 });
    expect(error.message).toContain('malformed JSON');
  });

  it('a missing field is invalid-response naming the field', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'missing-field', field: 'podIp' });
    const error = expectFailure(await client({ retries: 2 }).getPodBasic(POD, KEY));
    expect(error).toMatchObject({ kind: 'invalid-response', attempts: 1 });
    expect(error.message).toBe('data.podIp: expected a string, got nothing (missing)');
  });

  it('a mistyped field is invalid-response naming the field and the type', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'wrong-type', field: 'restartCount' });
    const error = expectFailure(await client().getPodBasic(POD, KEY));
    expect(error.kind).toBe('invalid-response');
    expect(error.message).toBe('data.restartCount: expected a non-negative integer, got string');
    fake.setFault(TASK, POD.podName, { kind: 'wrong-type', field: 'hostName' });
    expect(expectFailure(await client().getPodBasic(POD, KEY)).message).toBe(
      'data.hostName: expected a string, got number 123',
    );
  });

  it('a reset connection is network with the error code', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'reset' });
    const error = expectFailure(await client().getPodBasic(POD, KEY));
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/ECONNRESET/);
  });

  it('a refused connection is network ECONNREFUSED, retried', async () => {
    const api = await adHocServer(() => {});
    const server = servers.pop() as Server;
    await new Promise((resolve) => server.close(resolve));
    const { waits, sleep } = recordingSleep();
    const error = expectFailure(await client({ baseUrl: api.url, retries: 2, sleep }).getPodBasic(POD, KEY));
    expect(error).toMatchObject({ kind: 'network', attempts: 3 });
    expect(error.message).toMatch(/^network error ECONNREFUSED/);
    expect(waits).toHaveLength(2);
  });

  it.each([false, true])('a body over 1 MiB is too-large (chunked: %s)', async (chunked) => {
    fake.setFault(TASK, POD.podName, { kind: 'huge', chunked });
    const error = expectFailure(await client({ retries: 2 }).getPodBasic(POD, KEY));
    expect(error).toMatchObject({ kind: 'too-large', attempts: 1 });
    expect(error.message).toContain(chunked ? 'stopped reading after 1 MiB' : 'Content-Length');
  });

  it('a hung request times out with a readable message, and is retried', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'hang' });
    const error = expectFailure(await client({ timeoutMs: 150, retries: 1 }).getPodBasic(POD, KEY));
    expect(error).toMatchObject({
      kind: 'timeout',
      attempts: 2,
      message: 'no complete answer within 0.15 s',
    });
    expect(fake.requests).toHaveLength(2);
  });

  it('a body trickling past the timeout times out although headers came at once', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'trickle', intervalMs: 50, bytesPerTick: 1 });
    const outcome = await client({ timeoutMs: 300 }).getPodBasic(POD, KEY);
    expect(expectFailure(outcome).kind).toBe('timeout');
    // The whole exchange is bounded, not each chunk: generous upper bound against the 300 ms budget.
    expect(outcome.latencyMs).toBeLessThan(3_000);
  });
});

describe('AlayaHttpClient: retries', () => {
  it('retries 5xx and then succeeds', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'http-status', status: 503, times: 2 });
    const { waits, sleep } = recordingSleep();
    const outcome = await client({ retries: 2, sleep }).getPodBasic(POD, KEY);
    expect(outcome).toMatchObject({ ok: true, attempts: 3 });
    expect(fake.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('retries body status 5xx and 429', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'body-status', status: 500, times: 1 });
    expect(await client({ retries: 1 }).getPodBasic(POD, KEY)).toMatchObject({ ok: true, attempts: 2 });
    fake.setFault(TASK, POD.podName, { kind: 'body-status', status: 429, times: 1 });
    expect(await client({ retries: 1 }).getPodBasic(POD, KEY)).toMatchObject({ ok: true, attempts: 2 });
  });

  it('gives up after the retry budget with the last error', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'http-status', status: 502 });
    const error = expectFailure(await client({ retries: 2 }).getPodBasic(POD, KEY));
    expect(error).toMatchObject({ kind: 'http', httpStatus: 502, attempts: 3 });
    expect(error.message).toBe('HTTP 502 from the API (body status 502: Bad Gateway)');
  });

  it('backs off exponentially with full jitter, capped', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'http-status', status: 500 });
    const { waits, sleep } = recordingSleep();
    await client({ retries: 4, sleep, random: () => 0.5, backoff: { baseMs: 100, capMs: 300 } }).getPodBasic(
      POD,
      KEY,
    );
    expect(waits).toEqual([50, 100, 150, 150]);
  });

  it.each([400, 401, 403, 404, 409])('does not retry HTTP %i', async (status) => {
    fake.setFault(TASK, POD.podName, { kind: 'http-status', status });
    const outcome = await client({ retries: 3 }).getPodBasic(POD, KEY);
    expect(expectFailure(outcome).attempts).toBe(1);
    expect(fake.requests).toHaveLength(1);
  });

  it('honours Retry-After seconds on 429', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'http-status', status: 429, retryAfter: 2, times: 1 });
    const { waits, sleep } = recordingSleep();
    const outcome = await client({ retries: 1, sleep, random: () => 1 }).getPodBasic(POD, KEY);
    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
    expect(waits).toEqual([2000]);
  });

  it('honours Retry-After as an HTTP date on 503 with the real sleep', async () => {
    const at = new Date(Date.now() + 2_000).toUTCString();
    fake.setFault(TASK, POD.podName, { kind: 'http-status', status: 503, retryAfter: at, times: 1 });
    const c = new AlayaHttpClient({ baseUrl: fake.url, timeoutMs: 5_000, retries: 1 });
    clients.push(c);
    const outcome = await c.getPodBasic(POD, KEY);
    expect(outcome).toMatchObject({ ok: true, attempts: 2 });
    // HTTP dates have whole-second resolution, so the wait is 1-2 s: the bound is the behaviour.
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(900);
  });

  it('does not wait for a Retry-After beyond the cap', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'http-status', status: 429, retryAfter: 120 });
    const { waits, sleep } = recordingSleep();
    const error = expectFailure(await client({ retries: 3, sleep }).getPodBasic(POD, KEY));
    expect(error).toMatchObject({ kind: 'http', httpStatus: 429, attempts: 1 });
    expect(error.message).toBe(
      'HTTP 429: the API asked to wait 120 s before retrying, longer than the 30 s this client waits',
    );
    expect(waits).toEqual([]);
  });

  it('retries once at once on a stale keep-alive socket even without a retry budget', async () => {
    let served = 0;
    const api = await adHocServer((req, res) => {
      served++;
      // The second request on the first connection finds it "closed while idle".
      if (served === 2) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 200, message: 'OK', data: defaultPodInfo() }));
    });
    const c = client({ baseUrl: api.url, retries: 0 });
    expect(await c.getPodBasic(POD, KEY)).toMatchObject({ ok: true, attempts: 1 });
    expect(await c.getPodBasic(POD, KEY)).toMatchObject({ ok: true, attempts: 2 });
    expect(served).toBe(3);
  });
});

describe('AlayaHttpClient: caller deadline', () => {
  it('stops a hung request at once when the caller aborts, without retrying', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const outcome = await client({ timeoutMs: 15_000, retries: 3 }).getPodBasic(POD, KEY, controller.signal);
    expect(expectFailure(outcome)).toMatchObject({ kind: 'deadline', attempts: 1 });
    expect(fake.requests).toHaveLength(1);
    expect(outcome.latencyMs).toBeLessThan(10_000);
  });

  it('aborts the backoff sleep', async () => {
    fake.setFault(TASK, POD.podName, { kind: 'http-status', status: 503 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const c = new AlayaHttpClient({
      baseUrl: fake.url,
      timeoutMs: 5_000,
      retries: 3,
      random: () => 1,
      backoff: { baseMs: 15_000, capMs: 15_000 },
    });
    clients.push(c);
    const outcome = await c.getPodBasic(POD, KEY, controller.signal);
    expect(expectFailure(outcome)).toMatchObject({ kind: 'deadline', attempts: 1 });
    expect(fake.requests).toHaveLength(1);
    expect(outcome.latencyMs).toBeLessThan(10_000);
  });

  it('makes no request when the signal is already aborted', async () => {
    const outcome = await client().getPodBasic(POD, KEY, AbortSignal.abort());
    expect(expectFailure(outcome)).toMatchObject({ kind: 'deadline', attempts: 0 });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('AlayaHttpClient: the key never leaks', () => {
  const SECRET = 'sk-live-9f8e7d6c5b4a39281706';

  it.each([
    ['auth', 401, (k: string) => ({ status: 40401, message: `bad key ${k}`, data: {} })],
    ['api-status', 200, (k: string) => ({ status: 500, message: `failed for Bearer ${k}`, data: {} })],
    ['http', 502, (k: string) => ({ status: 502, message: `${k}${k}`, data: {} })],
    ['not-found', 404, (k: string) => ({ status: 404, message: `no pod for ${k}`, data: {} })],
    ['auth', 200, (k: string) => ({ status: 403, message: `${'x'.repeat(185)}${k}`, data: {} })],
    ['invalid-response', 200, (k: string) => ({ status: 200, message: k, data: { [k]: k } })],
    ['not-json', 200, (k: string) => `{"status":200,"message":"${k}"`],
  ] as const)('echoed into a %s answer (HTTP %i)', async (kind, status, body) => {
    const api = await adHocServer((req, res) => {
      const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const b = body(key);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof b === 'string' ? b : JSON.stringify(b));
    });
    const outcome = await client({ baseUrl: api.url }).getPodBasic(POD, SECRET);
    expect(expectFailure(outcome).kind).toBe(kind);
    const text = JSON.stringify(outcome);
    // A prefix catches a key cut in half by truncation, not only the whole key.
    expect(text).not.toContain(SECRET.slice(0, 12));
  });

  it('is redacted visibly so the reader knows something was removed', async () => {
    const api = await adHocServer((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 40401, message: `bad ${req.headers.authorization}`, data: {} }));
    });
    const error = expectFailure(await client({ baseUrl: api.url }).getPodBasic(POD, SECRET));
    expect(error.message).toBe(
      'the API rejected the key (HTTP 401, body status 40401: bad Bearer [redacted])',
    );
  });
});

describe('AlayaHttpClient: connection reuse', () => {
  it('keep-alive reuses connections, and maxSockets bounds them', async () => {
    const c = client({ keepAlive: true, maxSockets: 2 });
    for (let i = 0; i < 5; i++) expect((await c.getPodBasic(POD, KEY)).ok).toBe(true);
    const parallel = await Promise.all(Array.from({ length: 10 }, () => c.getPodBasic(POD, KEY)));
    expect(parallel.every((o) => o.ok)).toBe(true);
    expect(fake.requests).toHaveLength(15);
    expect(fake.connections).toBeLessThanOrEqual(2);
  });

  it('keepAlive false opens a connection per request', async () => {
    const c = client({ keepAlive: false });
    for (let i = 0; i < 5; i++) expect((await c.getPodBasic(POD, KEY)).ok).toBe(true);
    expect(fake.connections).toBe(5);
  });
});

describe('AlayaHttpClient: options', () => {
  it.each([
    [{ baseUrl: 'ftp://x' }, /baseUrl/],
    [{ baseUrl: 'not a url' }, /baseUrl/],
    [{ timeoutMs: 0 }, /timeoutMs/],
    [{ retries: -1 }, /retries/],
    [{ retries: 1.5 }, /retries/],
  ])('refuses %o', (bad, pattern) => {
    expect(
      () => new AlayaHttpClient({ baseUrl: 'https://api.alayanew.com', timeoutMs: 1, retries: 0, ...bad }),
    ).toThrow(AlayaClientOptionsError);
    expect(
      () => new AlayaHttpClient({ baseUrl: 'https://api.alayanew.com', timeoutMs: 1, retries: 0, ...bad }),
    ).toThrow(pattern);
  });
});

describe('classifyResponse', () => {
  const base = { apiBaseUrl: 'https://api.example/api/osm' };
  const ok = (data: unknown) => JSON.stringify({ status: 200, message: 'OK', data });

  it('lists every bad field at once', () => {
    const verdict = classifyResponse({
      ...base,
      httpStatus: 200,
      bodyText: ok({ ...defaultPodInfo(), restartCount: -1, status: null, qosClass: undefined }),
    });
    expect(verdict).toMatchObject({ ok: false, retryable: false, error: { kind: 'invalid-response' } });
    expect(!verdict.ok && verdict.error.message).toBe(
      'data.status: expected a string, got null; data.qosClass: expected a string, got nothing (missing); data.restartCount: expected a non-negative integer, got -1',
    );
  });

  it.each([
    [{ restartCount: 1.5 }, 'data.restartCount: expected a non-negative integer, got 1.5'],
    [null, 'data: expected an object, got null'],
    [[], 'data: expected an object, got an array'],
  ])('refuses data %o', (data, message) => {
    const bodyData = data && !Array.isArray(data) ? { ...defaultPodInfo(), ...data } : data;
    const verdict = classifyResponse({ ...base, httpStatus: 200, bodyText: ok(bodyData) });
    expect(!verdict.ok && verdict.error.message).toBe(message);
  });

  it.each([
    [502, 'text/html', '<html>Bad Gateway</html>', 'http', true],
    [429, 'application/json', '{"status":429,"message":"slow down","data":{}}', 'http', true],
    [400, 'text/html', '<html>Bad Request</html>', 'http', false],
    [200, 'text/plain', 'hello', 'not-json', false],
    [200, 'application/json', '', 'not-json', false],
    [200, 'application/json', '[1,2]', 'invalid-response', false],
    [200, 'application/json', '{"message":"OK","data":{}}', 'invalid-response', false],
    [200, 'application/json', '{"status":503,"message":"busy","data":{}}', 'api-status', true],
    [503, 'application/json', '{"status":40401,"message":"Unauthorized","data":{}}', 'auth', false],
    [403, 'text/html', '<html>Forbidden</html>', 'auth', false],
  ] as const)('HTTP %i %s %s is %s (retryable %s)', (httpStatus, contentType, bodyText, kind, retryable) => {
    const verdict = classifyResponse({ ...base, httpStatus, contentType, bodyText });
    expect(verdict).toMatchObject({ ok: false, retryable, error: { kind, httpStatus } });
  });

  it('truncates a long server message to 200 characters on one line', () => {
    const message = `line1\nline2 ${'y'.repeat(400)}`;
    const verdict = classifyResponse({
      ...base,
      httpStatus: 200,
      bodyText: JSON.stringify({ status: 500, message, data: {} }),
    });
    const text = !verdict.ok ? verdict.error.message : '';
    expect(text).toContain('body status 500: line1 line2 yyy');
    expect(text).not.toContain('\n');
    expect(text.match(/y{2,}/)?.[0].length).toBe(200 - 'line1 line2 '.length);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates and ignores nonsense', () => {
    const now = Date.parse('2026-11-20T08:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Fri, 20 Nov 2026 08:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Fri, 20 Nov 2026 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
