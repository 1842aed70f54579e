import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultPodInfo,
  type FakeAlayaApi,
  FakeAlayaApiError,
  type FakeFault,
  startFakeAlayaApi,
} from '../../simulator/fake-alaya-api';

const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const POD = 'tn-exqr5k7lvj7k-master-0';
const KEY = 'demo-key';

let fake: FakeAlayaApi;

interface Answer {
  status: number;
  contentType: string;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Plain node:http without an agent pool, so the fake is tested independently of the client. */
function get(path: string, key: string | null = KEY): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, fake.url.replace(/(\/\/[^/]+).*$/, '$1'));
    const req = request(url, {
      agent: false,
      headers: key === null ? {} : { authorization: `Bearer ${key}` },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? '',
          text: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        }),
      );
    });
    req.end();
  });
}

const podPath = (prefix = '/api/osm', task = TASK, pod = POD) =>
  `${prefix}/v1/training/instance/${encodeURIComponent(task)}/${encodeURIComponent(pod)}/basic`;

beforeEach(async () => {
  fake = await startFakeAlayaApi({ pathPrefix: '/api/osm' });
  fake.setPod(TASK, POD, { restartCount: 3 });
});

afterEach(async () => {
  await fake.close();
});

describe('fake Alaya API', () => {
  it('serves the pod under the prefix and an HTML 404 outside it', async () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/osm$/);
    const ok = await get(podPath());
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toEqual({
      status: 200,
      message: 'OK',
      data: defaultPodInfo({ restartCount: 3 }),
    });

    for (const path of [podPath(''), `${podPath()}/extra`, '/api/osm/v1/training/instance/x/basic']) {
      const miss = await get(path);
      expect(miss.status).toBe(404);
      expect(miss.contentType).toMatch(/text\/html/);
      expect(miss.text).toMatch(/^<!DOCTYPE html>/);
    }
  });

  it('decodes path segments and treats the task id case-insensitively', async () => {
    fake.setPod('Task/With Space', 'pod%name', { hostName: 'odd' });
    const answer = await get(podPath('/api/osm', 'task/with space', 'pod%name'));
    expect(JSON.parse(answer.text).data.hostName).toBe('odd');
  });

  it('answers an unknown pod with HTTP 404 and body status 404', async () => {
    const answer = await get(podPath('/api/osm', TASK, 'nope-0'));
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.text)).toEqual({ status: 404, message: 'Not Found', data: {} });
  });

  it('answers a wrong or missing key with HTTP 401 and body 40401, and logs no key', async () => {
    for (const key of ['wrong-key', null]) {
      const answer = await get(podPath(), key);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.text)).toEqual({ status: 40401, message: 'Unauthorized', data: {} });
    }
    fake.setValidKeys(['rotated-key']);
    expect((await get(podPath(), 'rotated-key')).status).toBe(200);
    expect((await get(podPath(), KEY)).status).toBe(401);
    expect(fake.requests.map((r) => r.authorized)).toEqual([false, false, true, false]);
    expect(fake.requests[0]).toEqual({ method: 'GET', path: podPath(), authorized: false });
    expect(JSON.stringify(fake.requests)).not.toMatch(/wrong-key|rotated-key|demo-key/);
  });

  it('applies a fault only `times` times, then answers normally', async () => {
    fake.setFault(TASK, POD, { kind: 'http-status', status: 503, retryAfter: 3, times: 2 });
    const first = await get(podPath());
    expect(first.status).toBe(503);
    expect(first.headers['retry-after']).toBe('3');
    expect(JSON.parse(first.text).status).toBe(503);
    expect((await get(podPath())).status).toBe(503);
    expect((await get(podPath())).status).toBe(200);
  });

  it('a global fault hits every pod, even before the key is checked', async () => {
    fake.setGlobalFault({ kind: 'body-status', status: 500, message: 'db down', times: 1 });
    const answer = await get(podPath('/api/osm', TASK, 'unknown-0'), 'wrong-key');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ status: 500, message: 'db down', data: {} });
    expect((await get(podPath('/api/osm', TASK, 'unknown-0'))).status).toBe(404);
  });

  it.each<[FakeFault, (a: Answer) => void]>([
    [{ kind: 'auth' }, (a) => expect([a.status, JSON.parse(a.text).status]).toEqual([401, 40401])],
    [{ kind: 'html' }, (a) => expect([a.status, a.contentType]).toEqual([200, 'text/html; charset=utf-8'])],
    [{ kind: 'malformed-json' }, (a) => expect(() => JSON.parse(a.text)).toThrow(SyntaxError)],
    [
      { kind: 'missing-field', field: 'podIp' },
      (a) => expect(JSON.parse(a.text).data).not.toHaveProperty('podIp'),
    ],
    [
      { kind: 'wrong-type', field: 'restartCount' },
      (a) => expect(JSON.parse(a.text).data.restartCount).toBe('3'),
    ],
    [{ kind: 'huge', chunked: true }, (a) => expect(a.text.length).toBeGreaterThan(2 * 1024 * 1024)],
    [{ kind: 'not-found' }, (a) => expect([a.status, JSON.parse(a.text).status]).toEqual([404, 404])],
  ])('fault %o', async (fault, check) => {
    fake.setFault(TASK, POD, fault);
    check(await get(podPath()));
  });

  it('reset destroys the socket', async () => {
    fake.setFault(TASK, POD, { kind: 'reset' });
    await expect(get(podPath())).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('trickle delivers a complete body slowly', async () => {
    fake.setFault(TASK, POD, { kind: 'trickle', intervalMs: 1, bytesPerTick: 64 });
    const answer = await get(podPath());
    expect(JSON.parse(answer.text).data.restartCount).toBe(3);
  });

  it('updates, removes and counts', async () => {
    fake.updatePod(TASK, POD, { status: 'Failed' });
    expect(JSON.parse((await get(podPath())).text).data.status).toBe('Failed');
    expect(() => fake.updatePod(TASK, 'nope-0', {})).toThrow(FakeAlayaApiError);
    expect(fake.removePod(TASK, POD)).toBe(true);
    expect((await get(podPath())).status).toBe(404);
    expect(fake.connections).toBe(2);
    fake.resetStats();
    expect([fake.requests.length, fake.connections]).toEqual([0, 0]);
  });

  it('setLatency delays answers', async () => {
    fake.setLatency(200);
    const started = performance.now();
    await get(podPath());
    // The delay itself is the behaviour under test; the bound is loose on purpose.
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('close() ends hung requests and resolves', async () => {
    fake.setFault(TASK, POD, { kind: 'hang' });
    const hung = get(podPath());
    hung.catch(() => {});
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await fake.close();
    await expect(hung).rejects.toMatchObject({ code: 'ECONNRESET' });
    await fake.close();
  });
});
