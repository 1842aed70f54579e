import { describe, expect, it } from 'vitest';
import { EXIT, exitCode } from '../../../lambda/cli/pod-watch-cli';
import type { RunResult } from '../../../lambda/core/run-check';
import type { Alert, PodReport } from '../../../lambda/core/types';
import { TASK } from '../../support/fakes';

type Completed = Extract<RunResult, { status: 'completed' }>;
const pod = { taskId: TASK, podName: 'a' };
const restart: Alert = {
  type: 'restarted',
  severity: 'warning',
  reminder: false,
  pod,
  at: '2026-11-28T00:00:00.000Z',
};

function result(reports: PodReport[], alerts: Alert[] = [], held: Alert[] = []): Completed {
  return {
    status: 'completed',
    checkedAt: '2026-11-28T00:00:00.000Z',
    pods: reports,
    alerts,
    held: held.map((alert) => ({ alert, reason: 'silence', by: 's1' })),
    chatFailures: [],
    stats: {
      podsChecked: reports.length,
      byHealth: { ok: 0, 'not-running': 0, finished: 0, 'check-failed': 0 },
      restartsObserved: 0,
      alertsSent: alerts.length,
      stateWrites: 0,
      durationMs: 0,
      apiLatencyMs: { count: 0, max: 0, mean: 0 },
    },
  };
}

describe('exit status (Nagios convention)', () => {
  it.each([
    ['all Running', [{ pod, health: 'ok', status: 'Running' }], [], [], EXIT.OK],
    ['a Failed pod', [{ pod, health: 'not-running', status: 'Failed' }], [], [], EXIT.CRITICAL],
    ['a Pending pod', [{ pod, health: 'not-running', status: 'Pending' }], [], [], EXIT.WARNING],
    [
      'a pod that cannot be checked',
      [{ pod, health: 'check-failed', error: 'timeout' }],
      [],
      [],
      EXIT.UNKNOWN,
    ],
    ['a restart notified', [{ pod, health: 'ok', status: 'Running' }], [restart], [], EXIT.WARNING],
    ['a restart held by a silence', [{ pod, health: 'ok', status: 'Running' }], [], [restart], EXIT.WARNING],
    ['a finished pod', [{ pod, health: 'finished', status: 'Succeeded' }], [], [], EXIT.OK],
  ] as [string, PodReport[], Alert[], Alert[], number][])(
    '%s → %i',
    (_name, reports, alerts, held, expected) => {
      expect(exitCode(result(reports, alerts, held))).toBe(expected);
    },
  );

  it('ranks critical over unknown over warning', () => {
    const reports: PodReport[] = [
      { pod, health: 'check-failed', error: 'x' },
      { pod: { ...pod, podName: 'b' }, health: 'not-running', status: 'Unknown' },
    ];
    expect(exitCode(result(reports, [restart]))).toBe(EXIT.CRITICAL);
    expect(exitCode(result(reports.slice(0, 1), [restart]))).toBe(EXIT.UNKNOWN);
  });
});
