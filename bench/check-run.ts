/**
 * Parent side of one measured child process (bench/child-run.ts): forks the bundled child against
 * the fake API hosted here, reads the fake's request and connection counters after each run, and
 * returns the child's timings and peak memory.
 */
import { fork } from 'node:child_process';
import type { FakeAlayaApi } from '../simulator/fake-alaya-api';
import type { ChildJob, ChildMessage, DoneMessage, RunMessage } from './child-protocol';

export interface RunResult extends Omit<RunMessage, 'type'> {
  /** Requests the fake answered during this run. */
  requests: number;
  /** TCP connections the fake accepted during this run. */
  connections: number;
}

export interface ChildResult {
  job: ChildJob;
  runs: RunResult[];
  loadedRssKb: number;
  maxRssKb: number;
  vmHwmKb: number | undefined;
}

/** Runs one child to completion. `childScript` is the esbuild bundle of bench/child-run.ts. */
export function runCoreChild(childScript: string, fake: FakeAlayaApi, job: ChildJob): Promise<ChildResult> {
  // Counters must describe this child only; nothing else talks to the fake while it runs.
  fake.resetStats();
  return new Promise((resolve, reject) => {
    // execArgv [] drops the parent's `--import tsx`: the child is plain JS and must be measured bare.
    const child = fork(childScript, [JSON.stringify(job)], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const runs: RunResult[] = [];
    let done: DoneMessage | undefined;
    child.on('message', (raw) => {
      const message = raw as ChildMessage;
      if (message.type === 'run') {
        const { type: _type, ...run } = message;
        runs.push({ ...run, requests: fake.requests.length, connections: fake.connections });
        fake.resetStats();
        child.send({ type: 'ack' });
      } else if (message.type === 'done') {
        done = message;
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0 || !done) {
        reject(
          new Error(
            `bench child for ${job.pods} pods failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`,
          ),
        );
        return;
      }
      // Warnings (MaxListenersExceeded and the like) are findings too: pass them on, never hide them.
      if (stderr.trim() !== '') process.stderr.write(`[child ${job.pods} pods] ${stderr}`);
      resolve({ job, runs, loadedRssKb: done.loadedRssKb, maxRssKb: done.maxRssKb, vmHwmKb: done.vmHwmKb });
    });
  });
}
