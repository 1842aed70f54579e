import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MaintenanceWindow, maintenanceWindowSchema } from '../../../lambda/config/config';
import {
  activeWindowsFor,
  findWindowProblems,
  isWindowActive,
  parseCron5,
  validateWindows,
  windowCoversPod,
} from '../../../lambda/core/maintenance-windows';
import { formatLocalTime, localTimeToInstant, zonedParts } from '../../../lambda/core/time-zones';

const TASK = 'ca78d6b9-e196-5a0f-b1be-ab036b3cb91a';
const OTHER_TASK = '0b5c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3';

function recurring(
  cron: string,
  durationMinutes: number,
  timezone: string,
  extra: object = {},
): MaintenanceWindow {
  return maintenanceWindowSchema.parse({
    name: 'w',
    timezone,
    recurring: { cron, durationMinutes },
    ...extra,
  });
}
function oneOff(start: string, end: string, timezone: string, extra: object = {}): MaintenanceWindow {
  return maintenanceWindowSchema.parse({ name: 'w', timezone, oneOff: { start, end }, ...extra });
}
const activeAt = (w: MaintenanceWindow, iso: string) => isWindowActive(w, new Date(iso));
/** The instants (UTC ISO) in [from, to) at which the window is active, to the minute, as [start, end) runs. */
function activeRuns(w: MaintenanceWindow, from: string, to: string): string[] {
  const runs: string[] = [];
  let runStart: number | undefined;
  const end = Date.parse(to);
  for (let t = Date.parse(from); t <= end; t += 60_000) {
    const active = t < end && isWindowActive(w, new Date(t));
    if (active && runStart === undefined) runStart = t;
    if (!active && runStart !== undefined) {
      runs.push(`${new Date(runStart).toISOString().slice(0, 16)}/${new Date(t).toISOString().slice(0, 16)}`);
      runStart = undefined;
    }
  }
  return runs;
}
const parts = (y: number, month: number, day: number, hour: number, minute: number) => {
  const weekday = new Date(Date.UTC(y, month - 1, day)).getUTCDay();
  return { month, day, hour, minute, weekday };
};

describe('parseCron5', () => {
  it('names the field and the problem', () => {
    const cases: [string, string][] = [
      ['0 25 * * *', 'cron field 2 (hour): 25 is out of range 0-23'],
      ['60 * * * *', 'cron field 1 (minute): 60 is out of range 0-59'],
      ['* * 0 * *', 'cron field 3 (day-of-month): 0 is out of range 1-31'],
      ['* * 32 * *', 'cron field 3 (day-of-month): 32 is out of range 1-31'],
      ['* * * 13 *', 'cron field 4 (month): 13 is out of range 1-12'],
      ['* * * * 8', 'cron field 5 (day-of-week): 8 is out of range 0-7'],
      ['* * * FOO *', 'cron field 4 (month): "FOO" is not a number or a month name JAN-DEC'],
      ['* * * * MONDAY', 'cron field 5 (day-of-week): "MONDAY" is not a number or a weekday name SUN-SAT'],
      ['x * * * *', 'cron field 1 (minute): "x" is not a number'],
      ['*/0 * * * *', 'cron field 1 (minute): step 0 in "*/0" is out of range 1-60'],
      ['*/61 * * * *', 'cron field 1 (minute): step 61 in "*/61" is out of range 1-60'],
      ['*/x * * * *', 'cron field 1 (minute): step "x" in "*/x" is not a whole number'],
      ['5-2 * * * *', 'cron field 1 (minute): range "5-2" runs backwards'],
      ['1,,2 * * * *', 'cron field 1 (minute): empty item in "1,,2"'],
      ['1-2-3 * * * *', 'cron field 1 (minute): "1-2-3" is not a value, range or step'],
      ['1/2/3 * * * *', 'cron field 1 (minute): "1/2/3" has more than one "/"'],
      ['* * L * *', 'cron field 3 (day-of-month): "L" is not a number'],
      ['* * ? * *', 'cron field 3 (day-of-month): "?" is not a number'],
      ['* * * *', 'cron: expected 5 fields "minute hour day-of-month month day-of-week", got 4'],
      ['0 0 * * * *', 'cron: expected 5 fields "minute hour day-of-month month day-of-week", got 6'],
      ['', 'cron: expected 5 fields "minute hour day-of-month month day-of-week", got 0'],
    ];
    for (const [expr, message] of cases) expect(() => parseCron5(expr), expr).toThrow(message);
  });

  it('supports steps, ranges with steps, "a/n" and lists', () => {
    const c = parseCron5('*/15 10-16/3 1,15,31 * *');
    expect(c.minutes.flatMap((ok, m) => (ok ? [m] : []))).toEqual([0, 15, 30, 45]);
    expect(c.hours.flatMap((ok, h) => (ok ? [h] : []))).toEqual([10, 13, 16]);
    expect(c.daysOfMonth.flatMap((ok, d) => (ok ? [d] : []))).toEqual([1, 15, 31]);
    expect(parseCron5('5/20 * * * *').minutes.flatMap((ok, m) => (ok ? [m] : []))).toEqual([5, 25, 45]);
    expect(parseCron5('0,30 1-3,22 * * *').hours.flatMap((ok, h) => (ok ? [h] : []))).toEqual([1, 2, 3, 22]);
  });

  it('accepts month and weekday names in any case, and 0 and 7 for Sunday', () => {
    const c = parseCron5('0 2 * jan-Mar,DEC MON-fri');
    expect(c.months.flatMap((ok, m) => (ok ? [m] : []))).toEqual([1, 2, 3, 12]);
    expect(c.daysOfWeek.flatMap((ok, d) => (ok ? [d] : []))).toEqual([1, 2, 3, 4, 5]);
    expect(parseCron5('0 0 * * 7').daysOfWeek).toEqual(parseCron5('0 0 * * 0').daysOfWeek);
    expect(parseCron5('0 0 * * SUN').daysOfWeek).toEqual(parseCron5('0 0 * * 0').daysOfWeek);
    expect(parseCron5('0 0 * * 5-7').daysOfWeek.flatMap((ok, d) => (ok ? [d] : []))).toEqual([0, 5, 6]);
    expect(parseCron5('0 0 * * 0-7').daysOfWeek.every(Boolean)).toBe(true);
    expect(parseCron5('0 0 * * *').daysOfWeek).toHaveLength(7);
  });

  it('matches wall-clock parts', () => {
    const c = parseCron5('30 22 * * FRI');
    expect(c.matches(parts(2024, 6, 7, 22, 30))).toBe(true); // a Friday
    expect(c.matches(parts(2024, 6, 7, 22, 31))).toBe(false);
    expect(c.matches(parts(2024, 6, 8, 22, 30))).toBe(false); // Saturday
  });

  it('ORs day-of-month and day-of-week when both are restricted', () => {
    const c = parseCron5('0 0 13 * FRI');
    expect(c.matches(parts(2024, 9, 13, 0, 0))).toBe(true); // Friday the 13th
    expect(c.matches(parts(2024, 6, 13, 0, 0))).toBe(true); // the 13th, a Thursday
    expect(c.matches(parts(2024, 6, 14, 0, 0))).toBe(true); // a Friday, the 14th
    expect(c.matches(parts(2024, 6, 12, 0, 0))).toBe(false); // neither
  });

  it('ANDs them when either starts with "*" (Vixie cron), including "*/n"', () => {
    const onlyDom = parseCron5('0 0 13 * *');
    expect(onlyDom.matches(parts(2024, 6, 14, 0, 0))).toBe(false);
    const stepDom = parseCron5('0 0 */2 * MON'); // odd days that are Mondays
    expect(stepDom.dayOfMonthRestricted).toBe(false);
    expect(stepDom.matches(parts(2024, 6, 3, 0, 0))).toBe(true); // Monday the 3rd
    expect(stepDom.matches(parts(2024, 6, 10, 0, 0))).toBe(false); // Monday the 10th
    expect(stepDom.matches(parts(2024, 6, 5, 0, 0))).toBe(false); // Wednesday the 5th
  });

  it('restricts months together with the OR rule', () => {
    const c = parseCron5('0 0 1 FEB SUN');
    expect(c.matches(parts(2024, 2, 4, 0, 0))).toBe(true); // a Sunday in February
    expect(c.matches(parts(2024, 3, 1, 0, 0))).toBe(false); // the 1st, but March
  });
});

describe('isWindowActive: recurring, Asia/Shanghai (no DST)', () => {
  const nightly = recurring('0 2 * * *', 60, 'Asia/Shanghai');

  it('is active from the start minute up to, not including, start + duration', () => {
    // 02:00 Shanghai = 18:00Z the day before.
    expect(activeAt(nightly, '2024-05-31T17:59:59.999Z')).toBe(false);
    expect(activeAt(nightly, '2024-05-31T18:00:00.000Z')).toBe(true);
    expect(activeAt(nightly, '2024-05-31T18:59:59.999Z')).toBe(true);
    expect(activeAt(nightly, '2024-05-31T19:00:00.000Z')).toBe(false);
    expect(activeRuns(nightly, '2024-05-31T12:00Z', '2024-06-02T00:00Z')).toEqual([
      '2024-05-31T18:00/2024-05-31T19:00',
      '2024-06-01T18:00/2024-06-01T19:00',
    ]);
  });

  it('runs across midnight and only on the named weekday', () => {
    const friday = recurring('30 22 * * FRI', 120, 'Asia/Shanghai');
    // Friday 2024-06-07 22:30 Shanghai = 14:30Z, until Saturday 00:30 = 16:30Z.
    expect(activeRuns(friday, '2024-06-05T00:00Z', '2024-06-10T00:00Z')).toEqual([
      '2024-06-07T14:30/2024-06-07T16:30',
    ]);
  });

  it('opens at every step of a list or step expression', () => {
    const w = recurring('0,30 9-17/4 * * MON-FRI', 5, 'Asia/Shanghai');
    // Monday 2024-06-03: 09:00, 09:30, 13:00, 13:30, 17:00, 17:30 local = 01:00Z…
    expect(activeRuns(w, '2024-06-03T00:00Z', '2024-06-03T10:00Z')).toEqual([
      '2024-06-03T01:00/2024-06-03T01:05',
      '2024-06-03T01:30/2024-06-03T01:35',
      '2024-06-03T05:00/2024-06-03T05:05',
      '2024-06-03T05:30/2024-06-03T05:35',
      '2024-06-03T09:00/2024-06-03T09:05',
      '2024-06-03T09:30/2024-06-03T09:35',
    ]);
    expect(activeRuns(w, '2024-06-01T00:00Z', '2024-06-02T16:00Z')).toEqual([]); // the weekend
  });

  it('applies the OR rule to windows', () => {
    const w = recurring('0 0 13 * FRI', 60, 'Asia/Shanghai');
    expect(activeAt(w, '2024-06-12T16:30:00Z')).toBe(true); // Thursday the 13th, 00:30 local
    expect(activeAt(w, '2024-06-13T16:30:00Z')).toBe(true); // Friday the 14th
    expect(activeAt(w, '2024-06-14T16:30:00Z')).toBe(false); // Saturday the 15th
  });

  it('covers a whole week with the longest duration, and ends exactly a week later', () => {
    const weekly = recurring('0 0 * * MON', 10_080, 'Asia/Shanghai');
    // Monday 2024-06-03 00:00 Shanghai = 2024-06-02T16:00Z.
    expect(activeAt(weekly, '2024-06-02T16:00:00Z')).toBe(true);
    expect(activeAt(weekly, '2024-06-09T15:59:00Z')).toBe(true);
    expect(activeAt(weekly, '2024-06-05T03:17:00Z')).toBe(true);
    const monday = recurring('0 0 * * MON', 1_440, 'Asia/Shanghai');
    expect(activeAt(monday, '2024-06-03T15:59:00Z')).toBe(true);
    expect(activeAt(monday, '2024-06-03T16:00:00Z')).toBe(false);
  });

  it('is never active for a cron that cannot match in the scanned range', () => {
    const newYear = recurring('0 3 1 1 *', 10_080, 'Asia/Shanghai');
    expect(activeAt(newYear, '2024-06-05T00:00:00Z')).toBe(false);
    expect(activeAt(newYear, '2024-01-07T18:59:00Z')).toBe(true); // 7 days minus a minute after 2024-01-01 03:00
    expect(activeAt(newYear, '2024-01-07T19:00:00Z')).toBe(false);
  });
});

describe('isWindowActive: recurring across DST', () => {
  it('New York spring-forward: a window at 02:00 does not start that day (02:00 never shows)', () => {
    const w = recurring('0 2 * * *', 60, 'America/New_York');
    expect(activeRuns(w, '2024-03-09T00:00Z', '2024-03-12T00:00Z')).toEqual([
      '2024-03-09T07:00/2024-03-09T08:00', // 02:00 EST
      // 2024-03-10: the clock jumps 01:59 EST → 03:00 EDT; no window.
      '2024-03-11T06:00/2024-03-11T07:00', // 02:00 EDT
    ]);
  });

  it('New York fall-back: 02:00 shows once (after the repeated 01:xx hour), so the window starts once', () => {
    const w = recurring('0 2 * * *', 60, 'America/New_York');
    expect(activeRuns(w, '2024-11-02T00:00Z', '2024-11-04T00:00Z')).toEqual([
      '2024-11-02T06:00/2024-11-02T07:00', // 02:00 EDT
      '2024-11-03T07:00/2024-11-03T08:00', // 02:00 EST
    ]);
  });

  it('New York fall-back: a time in the repeated hour starts the window once, at its first showing', () => {
    const w = recurring('0 1 * * *', 30, 'America/New_York');
    // 01:00 EDT = 05:00Z; 01:00 EST = 06:00Z shows the same wall clock again but starts nothing.
    expect(activeRuns(w, '2024-11-03T00:00Z', '2024-11-03T12:00Z')).toEqual([
      '2024-11-03T05:00/2024-11-03T05:30',
    ]);
  });

  it('Berlin fall-back: "0 2 * * *" matches the wall clock twice but starts once, at the first 02:00', () => {
    const w = recurring('0 2 * * *', 60, 'Europe/Berlin');
    // 02:00 CEST = 00:00Z; at 01:00Z the clock shows 02:00 CET again.
    expect(activeRuns(w, '2024-10-26T00:00Z', '2024-10-28T12:00Z')).toEqual([
      '2024-10-26T00:00/2024-10-26T01:00',
      '2024-10-27T00:00/2024-10-27T01:00',
      '2024-10-28T01:00/2024-10-28T02:00',
    ]);
  });

  it('Berlin spring-forward: 02:00 never shows; a window starting before the gap lasts its real minutes', () => {
    expect(
      activeRuns(recurring('0 2 * * *', 60, 'Europe/Berlin'), '2024-03-30T22:00Z', '2024-03-31T12:00Z'),
    ).toEqual([]);
    // 01:30 CET = 00:30Z; 60 real minutes end at 01:30Z = 03:30 CEST.
    const w = recurring('30 1 * * *', 60, 'Europe/Berlin');
    expect(activeRuns(w, '2024-03-30T22:00Z', '2024-03-31T12:00Z')).toEqual([
      '2024-03-31T00:30/2024-03-31T01:30',
    ]);
  });

  it('counts the duration in real minutes across the fall-back change', () => {
    // 01:00 CEST = 23:00Z; 180 minutes later is 02:00Z = 03:00 CET: two hours on the wall clock.
    const w = recurring('0 1 * * SUN', 180, 'Europe/Berlin');
    expect(activeRuns(w, '2024-10-26T12:00Z', '2024-10-27T12:00Z')).toEqual([
      '2024-10-26T23:00/2024-10-27T02:00',
    ]);
  });

  it('does not skip over a start just before the clock jumped', () => {
    // Saturday 23:30 EST = 04:30Z Sunday, open for 10 h; asked on Sunday morning EDT, after the change.
    const w = recurring('30 23 * * SAT', 600, 'America/New_York');
    expect(activeAt(w, '2024-03-10T12:00:00Z')).toBe(true);
    expect(activeAt(w, '2024-03-10T14:29:00Z')).toBe(true);
    expect(activeAt(w, '2024-03-10T14:30:00Z')).toBe(false);
  });

  it('a week-long window spanning a DST change lasts 10,080 real minutes', () => {
    const w = recurring('0 12 9 3 *', 10_080, 'America/New_York');
    // 2024-03-09 12:00 EST = 17:00Z; 7 × 24 h later is 2024-03-16T17:00Z, 13:00 EDT on the wall clock.
    expect(activeAt(w, '2024-03-09T16:59:00Z')).toBe(false);
    expect(activeAt(w, '2024-03-09T17:00:00Z')).toBe(true);
    expect(activeAt(w, '2024-03-16T16:59:59.999Z')).toBe(true);
    expect(activeAt(w, '2024-03-16T17:00:00Z')).toBe(false);
  });
});

describe('isWindowActive: one-off', () => {
  it('is active from start up to, not including, end (Asia/Shanghai)', () => {
    const w = oneOff('2024-06-01T22:00', '2024-06-02T06:00', 'Asia/Shanghai');
    expect(activeAt(w, '2024-06-01T13:59:59.999Z')).toBe(false);
    expect(activeAt(w, '2024-06-01T14:00:00Z')).toBe(true);
    expect(activeAt(w, '2024-06-01T21:59:59.999Z')).toBe(true);
    expect(activeAt(w, '2024-06-01T22:00:00Z')).toBe(false);
  });

  it('spans the New York spring-forward gap in real time, a start in the gap opening when the clock jumps', () => {
    // 01:00 EST = 06:00Z to 04:00 EDT = 08:00Z: two real hours for three on the wall clock.
    expect(
      activeRuns(
        oneOff('2024-03-10T01:00', '2024-03-10T04:00', 'America/New_York'),
        '2024-03-10T04:00Z',
        '2024-03-10T10:00Z',
      ),
    ).toEqual(['2024-03-10T06:00/2024-03-10T08:00']);
    // 02:15 does not exist: it opens at 03:00 EDT = 07:00Z.
    expect(
      activeRuns(
        oneOff('2024-03-10T02:15', '2024-03-10T03:30', 'America/New_York'),
        '2024-03-10T04:00Z',
        '2024-03-10T10:00Z',
      ),
    ).toEqual(['2024-03-10T07:00/2024-03-10T07:30']);
  });

  it('uses the earlier showing of an ambiguous start or end (Berlin fall-back)', () => {
    // 02:30 CEST = 00:30Z to 03:30 CET = 02:30Z: two real hours.
    expect(
      activeRuns(
        oneOff('2024-10-27T02:30', '2024-10-27T03:30', 'Europe/Berlin'),
        '2024-10-26T22:00Z',
        '2024-10-27T04:00Z',
      ),
    ).toEqual(['2024-10-27T00:30/2024-10-27T02:30']);
    // Ends at the first 02:45 (00:45Z): the second 02:xx hour is not covered.
    expect(
      activeRuns(
        oneOff('2024-10-27T01:00', '2024-10-27T02:45', 'Europe/Berlin'),
        '2024-10-26T22:00Z',
        '2024-10-27T04:00Z',
      ),
    ).toEqual(['2024-10-26T23:00/2024-10-27T00:45']);
  });
});

describe('windowCoversPod and activeWindowsFor', () => {
  const pod = { taskId: TASK, podName: 'tn-abc-master-0' };

  it('covers every pod without "pods", a whole task without "podName", and compares taskId case-insensitively', () => {
    expect(windowCoversPod(recurring('0 2 * * *', 60, 'UTC'), pod)).toBe(true);
    const task = recurring('0 2 * * *', 60, 'UTC', { pods: [{ taskId: TASK.toUpperCase() }] });
    expect(windowCoversPod(task, pod)).toBe(true);
    expect(windowCoversPod(task, { taskId: TASK, podName: 'tn-abc-worker-3' })).toBe(true);
    expect(windowCoversPod(task, { taskId: OTHER_TASK, podName: pod.podName })).toBe(false);
    const one = recurring('0 2 * * *', 60, 'UTC', { pods: [{ taskId: TASK, podName: 'tn-abc-worker-3' }] });
    expect(windowCoversPod(one, pod)).toBe(false);
    expect(windowCoversPod(one, { taskId: TASK.toUpperCase(), podName: 'tn-abc-worker-3' })).toBe(true);
  });

  it('returns the active windows that cover the pod, in order', () => {
    const a = maintenanceWindowSchema.parse({
      name: 'a',
      timezone: 'UTC',
      recurring: { cron: '0 2 * * *', durationMinutes: 60 },
    });
    const b = maintenanceWindowSchema.parse({
      name: 'b',
      timezone: 'UTC',
      oneOff: { start: '2024-06-01T00:00', end: '2024-06-02T00:00' },
      pods: [{ taskId: TASK }],
    });
    const c = maintenanceWindowSchema.parse({
      name: 'c',
      timezone: 'UTC',
      recurring: { cron: '* * * * *', durationMinutes: 1 },
      pods: [{ taskId: OTHER_TASK }],
    });
    const d = maintenanceWindowSchema.parse({
      name: 'd',
      timezone: 'UTC',
      recurring: { cron: '0 5 * * *', durationMinutes: 10 },
    });
    const now = new Date('2024-06-01T02:30:00Z');
    expect(activeWindowsFor([a, b, c, d], pod, now).map((w) => w.name)).toEqual(['a', 'b']);
    expect(
      activeWindowsFor([a, b, c, d], { taskId: OTHER_TASK, podName: 'x' }, now).map((w) => w.name),
    ).toEqual(['a', 'c']);
  });

  it('re-evaluates a window edited in place', () => {
    const w = recurring('0 2 * * *', 60, 'UTC');
    const now = new Date('2024-06-01T02:30:00Z');
    expect(isWindowActive(w, now)).toBe(true);
    (w.recurring as { cron: string }).cron = '0 4 * * *';
    expect(isWindowActive(w, now)).toBe(false);
  });
});

describe('validateWindows', () => {
  it('names the window and field of each problem', () => {
    const windows = [
      { timezone: 'UTC', recurring: { cron: '0 2 * * *', durationMinutes: 60 } },
      { timezone: 'UTC', recurring: { cron: '0 25 * * *', durationMinutes: 60 } },
      { timezone: 'UTC', recurring: { cron: '0 0 30 FEB *', durationMinutes: 60 } },
      { timezone: 'UTC', recurring: { cron: '0 0 29 2 *', durationMinutes: 60 } }, // leap years: fine
      { timezone: 'UTC', oneOff: { start: '2024-02-30T00:00', end: '2024-03-01T00:00' } },
      { timezone: 'America/New_York', oneOff: { start: '2024-03-10T02:10', end: '2024-03-10T02:50' } },
    ];
    expect(validateWindows(windows)).toEqual([
      'maintenanceWindows[1].recurring.cron: cron field 2 (hour): 25 is out of range 0-23',
      'maintenanceWindows[2].recurring.cron: never matches: no allowed month has an allowed day-of-month',
      'maintenanceWindows[4].oneOff.start: "2024-02-30T00:00" is not a valid date and time',
      'maintenanceWindows[5].oneOff.end: expected end after start in America/New_York (both fall in a daylight-saving gap)',
    ]);
    expect(findWindowProblems(windows)[0]?.path).toEqual(['maintenanceWindows', 1, 'recurring', 'cron']);
    expect(validateWindows([])).toEqual([]);
  });
});

/** The definition, minute by minute: a start is a cron match at the first showing of its wall-clock minute. */
function naiveActive(cron: string, duration: number, zone: string, now: Date): boolean {
  const matcher = parseCron5(cron);
  const nowMinute = Math.floor(now.getTime() / 60_000);
  for (let k = 0; k < duration; k++) {
    const s = new Date((nowMinute - k) * 60_000);
    const p = zonedParts(s, zone);
    if (matcher.matches(p) && localTimeToInstant(formatLocalTime(p), zone).getTime() === s.getTime())
      return true;
  }
  return false;
}

describe('isWindowActive properties', () => {
  it('agrees with a minute-by-minute scan of the definition', () => {
    const cronArb = fc
      .tuple(
        fc.constantFrom('*', '0', '*/15', '0,30', '5-10', '59', '*/7'),
        fc.constantFrom('*', '1', '2', '1-3', '*/6', '23', '0,12'),
        fc.constantFrom('*', '1', '13', '*/2', '1-7', '31'),
        fc.constantFrom('*', 'MAR', 'OCT,NOV', '*/3'),
        fc.constantFrom('*', 'SUN', 'MON-FRI', '6', '0,3'),
      )
      .map((f) => f.join(' '));
    const nowArb = fc
      .tuple(
        fc.constantFrom(
          '2024-03-10T07:00Z',
          '2024-11-03T06:00Z',
          '2024-03-31T01:00Z',
          '2024-10-27T01:00Z',
          '2024-06-01T00:00Z',
        ),
        fc.integer({ min: -36 * 60, max: 36 * 60 }),
      )
      .map(([t, m]) => new Date(Date.parse(t) + m * 60_000 + 17_000));
    fc.assert(
      fc.property(
        cronArb,
        fc.integer({ min: 1, max: 240 }),
        fc.constantFrom('America/New_York', 'Europe/Berlin', 'Asia/Shanghai', 'Australia/Lord_Howe'),
        nowArb,
        (cron, duration, zone, now) => {
          const w = recurring(cron, duration, zone);
          expect(isWindowActive(w, now)).toBe(naiveActive(cron, duration, zone, now));
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('isWindowActive speed', () => {
  it('evaluates 50 week-long windows well under 50 ms', () => {
    const crons = [
      '0 2 * * *',
      '*/15 * * * *',
      '0 3 1 1 *',
      '30 22 * * FRI',
      '0 0 13 * 5',
      '59 23 * * *',
      '0 9-17/2 * JAN-MAR MON-FRI',
    ];
    const zones = ['Asia/Shanghai', 'America/New_York', 'Europe/Berlin', 'UTC', 'Australia/Lord_Howe'];
    const make = () =>
      Array.from({ length: 50 }, (_, i) =>
        recurring(crons[i % crons.length] as string, 10_080 - i, zones[i % zones.length] as string),
      );
    // Warm up the JIT and the formatters, then time fresh window objects at new instants.
    for (const w of make()) isWindowActive(w, new Date('2024-01-01T00:00:00Z'));
    let slowest = 0;
    for (let run = 0; run < 5; run++) {
      const windows = make();
      const now = new Date(Date.parse('2024-11-03T06:30:00Z') + run * 3_600_000);
      const started = performance.now();
      for (const w of windows) isWindowActive(w, now);
      slowest = Math.max(slowest, performance.now() - started);
    }
    expect(slowest).toBeLessThan(50);
  });
});
