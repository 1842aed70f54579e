/**
 * A loopback stand-in for the Alaya NeW pod-basic endpoint, for the demo, tests and benchmarks.
 *
 * It answers the way real deployments were seen to (HTTP 401 + body 40401 for a bad key, HTML for a
 * path outside the API) and can misbehave on demand, per pod or globally, for the next N requests.
 * Dependency-free on purpose: it must start in milliseconds and never leak a handle after close().
 */
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { PodInfo } from '../lambda/core/types';

/** `times`: the fault answers only the next N matching requests, then the pod behaves normally. */
export type FakeFault = { times?: number } & (
  | { kind: 'hang' }
  | { kind: 'reset' }
  /** Valid answer with a correct Content-Length, sent `bytesPerTick` bytes every `intervalMs`. */
  | { kind: 'trickle'; intervalMs?: number; bytesPerTick?: number }
  /** `body`: an object is sent as JSON, a string as is; default `{status, message, data: {}}`. */
  | {
      kind: 'http-status';
      status: number;
      body?: unknown;
      contentType?: string;
      retryAfter?: string | number;
    }
  /** HTTP `httpStatus` (default 200) with body `{status, message, data: {}}`. */
  | {
      kind: 'body-status';
      status: number;
      message?: string;
      httpStatus?: number;
      retryAfter?: string | number;
    }
  | { kind: 'auth' }
  | { kind: 'html'; status?: number }
  | { kind: 'malformed-json' }
  | { kind: 'missing-field'; field: keyof PodInfo }
  /** `value` replaces the field; default a number for string fields and a string for restartCount. */
  | { kind: 'wrong-type'; field: keyof PodInfo; value?: unknown }
  /** `bytes` default 2 MiB; `chunked` omits Content-Length so only counting can catch it. */
  | { kind: 'huge'; bytes?: number; chunked?: boolean }
  | { kind: 'not-found' }
);

export interface FakeRequest {
  method: string;
  /** Raw (still encoded) path; never the key. */
  path: string;
  authorized: boolean;
}

export interface FakeAlayaApiOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  latencyMs?: number;
  validKeys?: string[];
  /** Such as `/api/osm`; the API lives only under it, as behind the real gateway. */
  pathPrefix?: string;
}

export interface FakeAlayaApi {
  /** Base URL including the prefix: `http://127.0.0.1:PORT/api/osm`. */
  readonly url: string;
  readonly port: number;
  /** Snapshot of every request received, in order. */
  readonly requests: readonly FakeRequest[];
  /** TCP connections accepted since start (or the last resetStats): shows keep-alive reuse. */
  readonly connections: number;
  setPod(taskId: string, podName: string, pod?: Partial<PodInfo>): PodInfo;
  /** Throws FakeAlayaApiError for an unknown pod, so a typo in a test fails loudly. */
  updatePod(taskId: string, podName: string, changes: Partial<PodInfo>): PodInfo;
  getPod(taskId: string, podName: string): PodInfo | undefined;
  removePod(taskId: string, podName: string): boolean;
  setFault(taskId: string, podName: string, fault: FakeFault | undefined): void;
  setGlobalFault(fault: FakeFault | undefined): void;
  setValidKeys(keys: readonly string[]): void;
  setLatency(ms: number): void;
  resetStats(): void;
  close(): Promise<void>;
}

/** Misuse of the fake itself (unknown pod in updatePod, bad option). */
export class FakeAlayaApiError extends Error {
  override readonly name = 'FakeAlayaApiError';
}

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_404 =
  '<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><hr><center>nginx</center></body></html>';
const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>Alaya NeW</title></head><body><div id="app">Loading…</div></body></html>';

export function defaultPodInfo(overrides: Partial<PodInfo> = {}): PodInfo {
  return {
    clusterName: 'k8s-01',
    hostName: 'gpu-node-021',
    namespace: 'usr-demo0001',
    hostIp: '10.24.7.1',
    status: 'Running',
    podIp: '10.24.7.134',
    restartCount: 0,
    qosClass: 'Guaranteed',
    createBy: 'demo-user',
    createTime: '2026-11-20 08:00:00',
    ...overrides,
  };
}

interface FaultSlot {
  fault: FakeFault;
  remaining: number;
}

function slotFor(fault: FakeFault | undefined): FaultSlot | undefined {
  if (fault === undefined) return undefined;
  if (fault.times !== undefined && (!Number.isInteger(fault.times) || fault.times < 1)) {
    throw new FakeAlayaApiError(`fault.times: expected a whole number >= 1, got ${fault.times}`);
  }
  return { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY };
}

/** UUIDs are case-insensitive; pod names are not. */
function podKey(taskId: string, podName: string): string {
  return `${taskId.toLowerCase()}\n${podName}`;
}

function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

export async function startFakeAlayaApi(options: FakeAlayaApiOptions = {}): Promise<FakeAlayaApi> {
  const prefix = normalisePrefix(options.pathPrefix ?? '');
  let latencyMs = options.latencyMs ?? 0;
  let validKeys = new Set(options.validKeys ?? ['demo-key']);
  const pods = new Map<string, PodInfo>();
  const podFaults = new Map<string, FaultSlot>();
  let globalFault: FaultSlot | undefined;
  let requests: FakeRequest[] = [];
  let connections = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | undefined;

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const takeFault = (slot: FaultSlot | undefined, clear: () => void): FakeFault | undefined => {
    if (!slot) return undefined;
    slot.remaining--;
    if (slot.remaining <= 0) clear();
    return slot.fault;
  };

  const matchPath = (pathname: string): { taskId: string; podName: string } | undefined => {
    const root = `${prefix}/v1/training/instance/`;
    if (!pathname.startsWith(root)) return undefined;
    const parts = pathname.slice(root.length).split('/');
    if (parts.length !== 3 || parts[2] !== 'basic' || !parts[0] || !parts[1]) return undefined;
    try {
      return { taskId: decodeURIComponent(parts[0]), podName: decodeURIComponent(parts[1]) };
    } catch {
      return undefined;
    }
  };

  const isAuthorized = (header: string | undefined): boolean => {
    const m = /^Bearer (.+)$/.exec(header ?? '');
    return m?.[1] !== undefined && validKeys.has(m[1]);
  };

  const send = (
    res: ServerResponse,
    status: number,
    contentType: string,
    body: string,
    extra: Record<string, string> = {},
  ) => {
    if (res.destroyed) return;
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      ...extra,
    });
    res.end(body);
  };
  const sendJson = (res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>) =>
    send(res, status, JSON_TYPE, JSON.stringify(body), extra);
  const errorBody = (status: number, message?: string) => ({
    status,
    message: message ?? STATUS_CODES[status] ?? 'Error',
    data: {},
  });
  const okBody = (pod: unknown) => ({ status: 200, message: 'OK', data: pod });
  const retryAfterHeader = (value: string | number | undefined): Record<string, string> =>
    value === undefined ? {} : { 'retry-after': String(value) };

  const applyFault = (fault: FakeFault, req: IncomingMessage, res: ServerResponse, pod: PodInfo) => {
    switch (fault.kind) {
      case 'hang':
        return; // close() destroys the socket.
      case 'reset':
        req.socket.destroy();
        return;
      case 'trickle': {
        const body = Buffer.from(JSON.stringify(okBody(pod)));
        const step = Math.max(1, fault.bytesPerTick ?? 1);
        res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': body.length });
        res.flushHeaders();
        let sentBytes = 0;
        const timer = setInterval(() => {
          if (res.destroyed) {
            stop();
            return;
          }
          res.write(body.subarray(sentBytes, sentBytes + step));
          sentBytes += step;
          if (sentBytes >= body.length) {
            stop();
            res.end();
          }
        }, fault.intervalMs ?? 100);
        const stop = () => {
          clearInterval(timer);
          timers.delete(timer);
        };
        timers.add(timer);
        res.on('close', stop);
        return;
      }
      case 'http-status': {
        const extra = retryAfterHeader(fault.retryAfter);
        if (typeof fault.body === 'string') {
          send(res, fault.status, fault.contentType ?? 'text/plain; charset=utf-8', fault.body, extra);
        } else {
          const body = fault.body === undefined ? errorBody(fault.status) : fault.body;
          send(res, fault.status, fault.contentType ?? JSON_TYPE, JSON.stringify(body), extra);
        }
        return;
      }
      case 'body-status':
        sendJson(
          res,
          fault.httpStatus ?? 200,
          errorBody(fault.status, fault.message),
          retryAfterHeader(fault.retryAfter),
        );
        return;
      case 'auth':
        sendJson(res, 401, errorBody(40401, 'Unauthorized'));
        return;
      case 'html':
        send(res, fault.status ?? 200, 'text/html; charset=utf-8', HTML_PAGE);
        return;
      case 'malformed-json':
        send(res, 200, JSON_TYPE, JSON.stringify(okBody(pod)).slice(0, 60));
        return;
      case 'missing-field': {
        const data: Record<string, unknown> = { ...pod };
        delete data[fault.field];
        sendJson(res, 200, okBody(data));
        return;
      }
      case 'wrong-type': {
        const fallback = fault.field === 'restartCount' ? String(pod.restartCount) : 123;
        sendJson(res, 200, okBody({ ...pod, [fault.field]: 'value' in fault ? fault.value : fallback }));
        return;
      }
      case 'huge': {
        const bytes = fault.bytes ?? 2 * 1024 * 1024;
        const body = JSON.stringify({ ...okBody(pod), padding: 'x'.repeat(bytes) });
        if (fault.chunked) {
          res.writeHead(200, { 'content-type': JSON_TYPE });
          res.end(body);
        } else {
          send(res, 200, JSON_TYPE, body);
        }
        return;
      }
      case 'not-found':
        sendJson(res, 404, errorBody(404, 'Not Found'));
        return;
    }
  };

  const route = (req: IncomingMessage, res: ServerResponse, authorized: boolean) => {
    // Not `new URL()`: it would collapse `%2E%2E` segments that the client sent on purpose.
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const target = req.method === 'GET' ? matchPath(pathname) : undefined;
    if (!target) {
      send(res, 404, 'text/html; charset=utf-8', HTML_404);
      return;
    }
    const key = podKey(target.taskId, target.podName);
    const pod = pods.get(key);
    // Faults model the network and gateway, which fail before the key is even looked at.
    const global = takeFault(globalFault, () => {
      globalFault = undefined;
    });
    if (global) {
      applyFault(global, req, res, pod ?? defaultPodInfo());
      return;
    }
    if (!authorized) {
      sendJson(res, 401, errorBody(40401, 'Unauthorized'));
      return;
    }
    const own = takeFault(podFaults.get(key), () => podFaults.delete(key));
    if (own) {
      applyFault(own, req, res, pod ?? defaultPodInfo());
      return;
    }
    if (!pod) {
      sendJson(res, 404, errorBody(404, 'Not Found'));
      return;
    }
    sendJson(res, 200, okBody(pod));
  };

  const server = createServer((req, res) => {
    const authorized = isAuthorized(req.headers.authorization);
    requests.push({ method: req.method ?? '', path: (req.url ?? '/').split('?')[0] ?? '/', authorized });
    if (latencyMs > 0) later(latencyMs, () => route(req, res, authorized));
    else route(req, res, authorized);
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const requirePod = (taskId: string, podName: string): PodInfo => {
    const pod = pods.get(podKey(taskId, podName));
    if (!pod) throw new FakeAlayaApiError(`no pod ${taskId}/${podName} in the fake API; call setPod first`);
    return pod;
  };

  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    port,
    get requests() {
      return [...requests];
    },
    get connections() {
      return connections;
    },
    setPod(taskId, podName, pod = {}) {
      const info = defaultPodInfo(pod);
      pods.set(podKey(taskId, podName), info);
      return { ...info };
    },
    updatePod(taskId, podName, changes) {
      const info = { ...requirePod(taskId, podName), ...changes };
      pods.set(podKey(taskId, podName), info);
      return { ...info };
    },
    getPod(taskId, podName) {
      const pod = pods.get(podKey(taskId, podName));
      return pod ? { ...pod } : undefined;
    },
    removePod(taskId, podName) {
      return pods.delete(podKey(taskId, podName));
    },
    setFault(taskId, podName, fault) {
      const slot = slotFor(fault);
      if (slot) podFaults.set(podKey(taskId, podName), slot);
      else podFaults.delete(podKey(taskId, podName));
    },
    setGlobalFault(fault) {
      globalFault = slotFor(fault);
    },
    setValidKeys(keys) {
      validKeys = new Set(keys);
    },
    setLatency(ms) {
      if (!(ms >= 0)) throw new FakeAlayaApiError(`latency: expected ms >= 0, got ${ms}`);
      latencyMs = ms;
    },
    resetStats() {
      requests = [];
      connections = 0;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        // Hung and idle keep-alive sockets would otherwise hold server.close() open forever.
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
