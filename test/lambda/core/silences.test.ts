import { describe, expect, it } from 'vitest';
import {
  isSilenceActive,
  newSilence,
  parseSilenceDuration,
  pruneSilences,
  type Silence,
  silenceFor,
} from '../../../lambda/core/silences';

const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const OTHER_TASK = '0b5c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3';
const NOW = new Date('2024-06-01T00:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso);

describe('parseSilenceDuration', () => {
  it('accepts days, hours and minutes, alone or combined', () => {
    expect(parseSilenceDuration('30m')).toBe(30 * MIN);
    expect(parseSilenceDuration('2h')).toBe(2 * HOUR);
    expect(parseSilenceDuration('1h30m')).toBe(90 * MIN);
    expect(parseSilenceDuration('1d')).toBe(DAY);
    expect(parseSilenceDuration('7d')).toBe(7 * DAY);
    expect(parseSilenceDuration('1d12h')).toBe(36 * HOUR);
    expect(parseSilenceDuration(' 2H ')).toBe(2 * HOUR);
    expect(parseSilenceDuration('1m')).toBe(MIN);
    expect(parseSilenceDuration('30d')).toBe(30 * DAY);
    expect(parseSilenceDuration('720h')).toBe(30 * DAY);
  });

  it('names the problem', () => {
    for (const bad of ['', '  ', '2', 'h', '90s', '1.5h', '1m30h', '2 h', '-1h', 'abc', '1w']) {
      expect(() => parseSilenceDuration(bad), bad).toThrow(
        '--for: expected a duration such as 30m, 2h or 1d',
      );
    }
    expect(() => parseSilenceDuration('0m')).toThrow('--for: 0m is shorter than the 1-minute minimum');
    expect(() => parseSilenceDuration('31d')).toThrow('--for: 31d is longer than the 30-day maximum');
    expect(() => parseSilenceDuration('720h1m')).toThrow('longer than the 30-day maximum');
  });
});

describe('newSilence', () => {
  it('builds a silence from now', () => {
    const s = newSilence({
      taskId: TASK.toUpperCase(),
      podName: 'tn-abc-master-0',
      forMs: 2 * HOUR,
      reason: '  driver upgrade  ',
      now: NOW,
      createdBy: 'alice',
      id: 'abcd1234',
    });
    expect(s).toEqual({
      id: 'abcd1234',
      taskId: TASK,
      podName: 'tn-abc-master-0',
      createdAt: '2024-06-01T00:00:00.000Z',
      expiresAt: '2024-06-01T02:00:00.000Z',
      reason: 'driver upgrade',
      createdBy: 'alice',
    });
  });

  it('generates an 8-character id and leaves optional fields out', () => {
    const s = newSilence({ taskId: TASK, forMs: DAY, reason: 'x', now: NOW });
    expect(s.id).toMatch(/^[0-9a-f]{8}$/);
    expect(Object.keys(s).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'reason', 'taskId']);
    expect(newSilence({ taskId: TASK, forMs: DAY, reason: 'x', now: NOW }).id).not.toBe(s.id);
  });

  it('validates every field, naming it', () => {
    const base = { taskId: TASK, forMs: HOUR, reason: 'ok', now: NOW };
    expect(() => newSilence({ ...base, taskId: 'not-a-uuid' })).toThrow('taskId: expected a UUID');
    expect(() => newSilence({ ...base, podName: 'Bad/Name' })).toThrow(
      'podName: expected a Kubernetes pod name',
    );
    expect(() => newSilence({ ...base, reason: '   ' })).toThrow(
      'reason: expected 1 to 500 characters, got 0',
    );
    expect(() => newSilence({ ...base, reason: 'x'.repeat(501) })).toThrow(
      'reason: expected 1 to 500 characters',
    );
    expect(newSilence({ ...base, reason: 'x'.repeat(500) }).reason).toHaveLength(500);
    expect(() => newSilence({ ...base, forMs: 59_999 })).toThrow(
      '--for: expected a duration from 1 minute to 30 days',
    );
    expect(() => newSilence({ ...base, forMs: 30 * DAY + 1 })).toThrow('--for');
    expect(() => newSilence({ ...base, forMs: Number.NaN })).toThrow('--for');
    expect(() => newSilence({ ...base, id: 'Not Valid' })).toThrow('id: expected');
  });
});

describe('isSilenceActive', () => {
  const s = newSilence({
    taskId: TASK,
    podName: 'p-0',
    forMs: 2 * HOUR,
    reason: 'upgrade',
    now: NOW,
    id: 's1',
  });

  it('is active until, not at, expiresAt', () => {
    expect(isSilenceActive(s, NOW)).toBe(true);
    expect(isSilenceActive(s, at('2024-06-01T01:59:59.999Z'))).toBe(true);
    expect(isSilenceActive(s, at('2024-06-01T02:00:00Z'))).toBe(false);
  });

  it('ends when the pod recovers after it was created', () => {
    expect(isSilenceActive(s, at('2024-06-01T01:00:00Z'), '2024-05-31T23:00:00Z')).toBe(true); // before
    expect(isSilenceActive(s, at('2024-06-01T01:00:00Z'), '2024-06-01T00:00:00.000Z')).toBe(true); // same instant
    expect(isSilenceActive(s, at('2024-06-01T01:00:00Z'), '2024-06-01T00:30:00Z')).toBe(false);
  });

  it('treats unreadable timestamps as inactive, so alerts are not hidden', () => {
    expect(isSilenceActive({ ...s, expiresAt: 'soon' }, NOW)).toBe(false);
    expect(isSilenceActive(s, NOW, 'yesterday')).toBe(false);
  });
});

describe('silenceFor', () => {
  const pod = { taskId: TASK, podName: 'p-0' };
  const taskWide = newSilence({ taskId: TASK, forMs: 6 * HOUR, reason: 'task', now: NOW, id: 'task' });
  const podOnly = newSilence({
    taskId: TASK,
    podName: 'p-0',
    forMs: HOUR,
    reason: 'pod',
    now: NOW,
    id: 'pod',
  });
  const otherPod = newSilence({
    taskId: TASK,
    podName: 'p-1',
    forMs: 6 * HOUR,
    reason: 'other',
    now: NOW,
    id: 'p1',
  });
  const otherTask = newSilence({ taskId: OTHER_TASK, forMs: 6 * HOUR, reason: 'x', now: NOW, id: 'ot' });

  it('matches task-wide silences and prefers the pod own one', () => {
    expect(silenceFor([taskWide], pod, NOW)?.id).toBe('task');
    expect(silenceFor([taskWide], { taskId: TASK.toUpperCase(), podName: 'p-9' }, NOW)?.id).toBe('task');
    expect(silenceFor([taskWide, podOnly], pod, NOW)?.id).toBe('pod');
    expect(silenceFor([otherPod, otherTask], pod, NOW)).toBeUndefined();
  });

  it('falls back to a task-wide silence when the pod own one expired, and to none after', () => {
    expect(silenceFor([podOnly, taskWide], pod, at('2024-06-01T01:00:00Z'))?.id).toBe('task');
    expect(silenceFor([podOnly, taskWide], pod, at('2024-06-01T06:00:00Z'))).toBeUndefined();
  });

  it('prefers the longest of equally specific silences', () => {
    const longer = newSilence({ taskId: TASK, forMs: 12 * HOUR, reason: 'long', now: NOW, id: 'long' });
    expect(silenceFor([taskWide, longer], pod, NOW)?.id).toBe('long');
    expect(silenceFor([longer, taskWide], pod, NOW)?.id).toBe('long');
  });

  it('stops matching once the pod recovered', () => {
    expect(
      silenceFor([taskWide, podOnly], pod, at('2024-06-01T00:40:00Z'), '2024-06-01T00:30:00Z'),
    ).toBeUndefined();
  });
});

describe('pruneSilences', () => {
  it('drops expired silences (expiresAt <= now) and keeps the rest in order', () => {
    const mk = (id: string, hours: number): Silence =>
      newSilence({ taskId: TASK, forMs: hours * HOUR, reason: id, now: NOW, id });
    const list = [mk('a', 1), mk('b', 3), mk('c', 2), { ...mk('d', 5), expiresAt: 'never' }];
    expect(pruneSilences(list, at('2024-06-01T02:00:00Z')).map((s) => s.id)).toEqual(['b']);
    expect(pruneSilences(list, NOW).map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(pruneSilences([], NOW)).toEqual([]);
  });
});
