/**
 * The demo: the real pipeline (HTTP client, rules, messages, atomic state file, lease) against the
 * simulated Alaya API on loopback, over a scripted morning of scheduled runs. No key, no network,
 * no AWS. The clock is simulated so that 5-minute runs and reminders play out in seconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAlayaApi } from '../../simulator/fake-alaya-api';
import { AlayaHttpClient } from '../adapters/alaya-http-client';
import { ConsoleNotifier } from '../adapters/console-notifier';
import { FileStateStore } from '../adapters/file-state-store';
import { renderTable } from '../cli/pod-watch-cli';
import { parseConfig } from '../config/config';
import type { KeySource } from '../core/ports';
import { runCheck } from '../core/run-check';

const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const DEMO_KEY = 'demo-key';

interface Step {
  story: string;
  act?: (api: Awaited<ReturnType<typeof startFakeAlayaApi>>) => void;
}

export async function runDemo(options: {
  language: 'en' | 'zh';
  write: (text: string) => void;
}): Promise<void> {
  const { write } = options;
  const api = await startFakeAlayaApi({ validKeys: [DEMO_KEY], latencyMs: 20, pathPrefix: '/api/osm' });
  const dir = await mkdtemp(join(tmpdir(), 'alaya-pod-watch-demo-'));
  const pods = [
    { podName: 'llm-pretrain-master-0', name: 'master-0', hostName: 'gpu-node-021', hostIp: '10.24.7.1' },
    { podName: 'llm-pretrain-worker-0', name: 'worker-0', hostName: 'gpu-node-022', hostIp: '10.24.7.2' },
    { podName: 'llm-pretrain-worker-1', name: 'worker-1', hostName: 'gpu-node-023', hostIp: '10.24.7.3' },
    { podName: 'llm-pretrain-worker-2', name: 'worker-2', hostName: 'gpu-node-024', hostIp: '10.24.7.4' },
  ];
  for (const [i, p] of pods.entries()) {
    api.setPod(TASK, p.podName, {
      hostName: p.hostName,
      hostIp: p.hostIp,
      podIp: `10.24.8.${10 + i}`,
      qosClass: i === 3 ? 'BestEffort' : 'Guaranteed',
    });
  }
  const config = parseConfig({
    pods: pods.map((p) => ({ taskId: TASK, podName: p.podName, name: p.name })),
    apiBaseUrl: api.url,
    alerts: { reminderMinutes: 10, language: options.language },
  });
  const steps: Step[] = [
    { story: 'First run: every pod is Running. Baselines are recorded; nothing to say.' },
    { story: 'Nothing changed: a healthy, quiet run (no alert, no state write).' },
    {
      story: 'worker-0 restarted twice (an OOM kill, say).',
      act: (a) => a.updatePod(TASK, 'llm-pretrain-worker-0', { restartCount: 2 }),
    },
    {
      story: 'worker-1 was evicted and is Pending again; worker-2 Failed.',
      act: (a) => {
        a.updatePod(TASK, 'llm-pretrain-worker-1', { status: 'Pending' });
        a.updatePod(TASK, 'llm-pretrain-worker-2', { status: 'Failed' });
      },
    },
    { story: 'Five minutes later nothing changed: no repeat (the reminder is due after 10 minutes).' },
    {
      story: 'worker-1 is Running again; worker-2 is still Failed, so its reminder goes out.',
      act: (a) => a.updatePod(TASK, 'llm-pretrain-worker-1', { status: 'Running' }),
    },
    {
      story: 'Someone revoked the API key in the Alaya console: one alert for the run, not one per pod.',
      act: (a) => a.setValidKeys(['a-new-key-nobody-has']),
    },
    {
      story: 'The key works again and worker-2 was recreated on another node.',
      act: (a) => {
        a.setValidKeys([DEMO_KEY]);
        a.updatePod(TASK, 'llm-pretrain-worker-2', {
          status: 'Running',
          createTime: '2026-11-28 09:35:00',
          hostName: 'gpu-node-031',
          hostIp: '10.24.9.1',
        });
      },
    },
  ];

  const keySource: KeySource = { getKey: async () => DEMO_KEY };
  const podApi = new AlayaHttpClient({ baseUrl: config.apiBaseUrl, timeoutMs: 5000, retries: 1 });
  const stateStore = new FileStateStore(join(dir, 'state.json'));
  let clock = new Date('2026-11-28T01:00:00.000Z');
  try {
    write(
      `alaya-pod-watch demo: ${pods.length} pods of task ${TASK} on a simulated Alaya API at ${api.url}\n` +
        `(runs every 5 minutes of simulated time; state in ${join(dir, 'state.json')})\n`,
    );
    for (const [i, step] of steps.entries()) {
      step.act?.(api);
      write(`\n=== Run ${i + 1} at ${clock.toISOString().slice(11, 16)} UTC: ${step.story}\n`);
      const at = clock;
      const notification: string[] = [];
      const result = await runCheck(
        config,
        {
          keySource,
          podApi,
          stateStore,
          notifier: new ConsoleNotifier((t) => notification.push(t)),
          clock: { now: () => at },
        },
        { runId: `demo-${i}`, leaseTtlMs: 60_000 },
      );
      if (result.status === 'completed') {
        write(renderTable(result, options.language));
        write(
          notification.length
            ? `\nThe one notification of this run (email, then SMS):\n${notification.join('')}`
            : 'No alerts this run.\n',
        );
      }
      clock = new Date(clock.getTime() + 5 * 60_000);
    }
    write(
      `\nDemo finished: ${api.requests.length} API requests over ${api.connections} connection(s).\n` +
        'Run it in Chinese with: npm run demo -- --language zh\n',
    );
  } finally {
    podApi.close();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}
