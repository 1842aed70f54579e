/** Messages between bench/check-run.ts (parent) and bench/child-run.ts (one child per measured N). */

export interface ChildJob {
  apiUrl: string;
  pods: number;
  concurrency: number;
  keepAlive: boolean;
  /**
   * Pass maxSockets = concurrency to the client, as lambda/handler.ts does. With a finite maxSockets
   * Node's agent sends `Connection: keep-alive` and hands a freed socket to a queued request even
   * when keepAlive is off, so "off" only means one connection per request without it.
   */
  maxSockets: boolean;
  /** Runs in the same process, like warm invocations of one Lambda container. */
  runs: number;
}

export interface RunMessage {
  type: 'run';
  index: number;
  wallMs: number;
  /**
   * CPU time (user + system) this process spent on the run. Lambda gives a 256 MB function about
   * 256/1769 of a vCPU, so this, not the wall time here, is what may stretch a run there.
   */
  cpuMs: number;
  podsChecked: number;
  podsOk: number;
  stateWrites: number;
  alerts: number;
  /** What the core measured per pod (RunStats.apiLatencyMs), against the fake's fixed latency. */
  apiLatencyMeanMs: number;
  apiLatencyMaxMs: number;
  rssKb: number;
  heapUsedKb: number;
  /** V8 heap spaces as committed by V8 (what RSS sees), in kB: explains RSS beyond heapUsed. */
  heapCommittedKb: Record<string, number>;
  externalKb: number;
}

export interface DoneMessage {
  type: 'done';
  /** RSS after the modules and config were loaded, before any run: the fixed part. */
  loadedRssKb: number;
  /** process.resourceUsage().maxRSS: peak over the child's whole life. */
  maxRssKb: number;
  /** /proc/self/status VmHWM, the kernel's own peak; undefined off Linux. */
  vmHwmKb: number | undefined;
}

export type ChildMessage = RunMessage | DoneMessage;

/** The parent's answer to each RunMessage: it has read the fake API's counters, go on. */
export interface AckMessage {
  type: 'ack';
}
