/**
 * Maintenance windows: planned downtime during which a pod's alerts are held back. A window is
 * either one-off (local start and end) or recurring (a 5-field cron giving its start minutes and a
 * duration). Pure: `now` always comes in.
 *
 * Recurring windows and DST. A start is a UTC minute whose wall clock in the window's zone matches
 * the cron; the duration counts real minutes from there. Two consequences, both deliberate:
 * - Spring forward: a wall-clock time inside the gap never shows, so a window starting then does
 *   not start that day ("0 2 * * *" in New York on the March change). It is not moved to 03:00,
 *   because a window that silently shifts is harder to reason about than one that is skipped.
 * - Fall back: a wall-clock time inside the overlap shows twice; only the FIRST showing starts a
 *   window ("0 2 * * *" in Berlin, or "0 1 * * *" in New York, starts once on the October/November
 *   change, at the earlier instant), matching localTimeToInstant and a once-a-day expectation.
 */
import type { MaintenanceWindow } from '../config/config';
import {
  civilFromDays,
  localMinutesToUtcMinute,
  localTimeToInstant,
  MINUTE_MS,
  offsetMinutesAt,
  weekdayOfDays,
  type ZonedParts,
} from './time-zones';

/** The wall-clock fields a cron looks at. */
export type CronParts = Pick<ZonedParts, 'month' | 'day' | 'hour' | 'minute' | 'weekday'>;

export interface CronMatcher {
  readonly expression: string;
  /** Allowed values, indexed by value: minutes[0..59], hours[0..23], daysOfMonth[1..31], months[1..12], daysOfWeek[0..6]. */
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  readonly daysOfMonth: readonly boolean[];
  readonly months: readonly boolean[];
  readonly daysOfWeek: readonly boolean[];
  /** Whether the field was restricted, in the cron sense: its text does not start with "*". */
  readonly dayOfMonthRestricted: boolean;
  readonly dayOfWeekRestricted: boolean;
  matches(parts: CronParts): boolean;
  /** The date part of matches(): month, and day-of-month / day-of-week with the OR rule. */
  matchesDay(month: number, day: number, weekday: number): boolean;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  namesHint?: string;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesHint: 'a month name JAN-DEC' },
  // 7 is accepted as a second Sunday, as in Vixie cron.
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, namesHint: 'a weekday name SUN-SAT' },
];

const NUMBER_RE = /^\d+$/;

function parseValue(token: string, spec: FieldSpec, fail: (detail: string) => never): number {
  let value: number;
  if (NUMBER_RE.test(token)) {
    value = Number(token);
  } else {
    const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
    if (index < 0) {
      fail(`"${token}" is not a number${spec.namesHint ? ` or ${spec.namesHint}` : ''}`);
    }
    // Month names count from 1, weekday names from 0 (SUN).
    value = spec.names === MONTH_NAMES ? index + 1 : index;
  }
  if (value < spec.min || value > spec.max) fail(`${token} is out of range ${spec.min}-${spec.max}`);
  return value;
}

function parseField(text: string, index: number): boolean[] {
  const spec = FIELDS[index] as FieldSpec;
  const fail = (detail: string): never => {
    throw new Error(`cron field ${index + 1} (${spec.name}): ${detail}`);
  };
  const allowed = new Array<boolean>(spec.max + 1).fill(false);
  for (const item of text.split(',')) {
    if (item === '') fail(`empty item in "${text}"`);
    const slash = item.split('/');
    if (slash.length > 2) fail(`"${item}" has more than one "/"`);
    const [base = '', stepText] = slash;
    let step = 1;
    if (stepText !== undefined) {
      if (!NUMBER_RE.test(stepText)) fail(`step "${stepText}" in "${item}" is not a whole number`);
      step = Number(stepText);
      const size = spec.max - spec.min + 1;
      if (step < 1 || step > size) fail(`step ${stepText} in "${item}" is out of range 1-${size}`);
    }
    let from: number;
    let to: number;
    if (base === '*') {
      from = spec.min;
      to = spec.max;
    } else {
      const dash = base.split('-');
      if (dash.length > 2 || dash.some((t) => t === '')) fail(`"${item}" is not a value, range or step`);
      from = parseValue(dash[0] as string, spec, fail);
      // "a/n" reads as "a-max/n", as Vixie cron and most schedulers do.
      to = dash[1] !== undefined ? parseValue(dash[1], spec, fail) : stepText !== undefined ? spec.max : from;
      if (from > to) fail(`range "${base}" runs backwards`);
    }
    for (let v = from; v <= to; v += step) allowed[v] = true;
  }
  return allowed;
}

class Cron implements CronMatcher {
  /** previousMinute[m]: the largest allowed minute <= m, or -1; lets the scan jump over unused minutes. */
  readonly previousMinute: readonly number[];

  constructor(
    readonly expression: string,
    readonly minutes: readonly boolean[],
    readonly hours: readonly boolean[],
    readonly daysOfMonth: readonly boolean[],
    readonly months: readonly boolean[],
    readonly daysOfWeek: readonly boolean[],
    readonly dayOfMonthRestricted: boolean,
    readonly dayOfWeekRestricted: boolean,
  ) {
    const previous: number[] = [];
    let last = -1;
    for (let m = 0; m < 60; m++) {
      if (minutes[m]) last = m;
      previous.push(last);
    }
    this.previousMinute = previous;
  }

  matchesDay(month: number, day: number, weekday: number): boolean {
    if (!this.months[month]) return false;
    // Vixie/POSIX: when both day fields are restricted, either may match; otherwise both must
    // (and the unrestricted one allows everything).
    if (this.dayOfMonthRestricted && this.dayOfWeekRestricted) {
      return this.daysOfMonth[day] === true || this.daysOfWeek[weekday] === true;
    }
    return this.daysOfMonth[day] === true && this.daysOfWeek[weekday] === true;
  }

  matches(parts: CronParts): boolean {
    return (
      this.minutes[parts.minute] === true &&
      this.hours[parts.hour] === true &&
      this.matchesDay(parts.month, parts.day, parts.weekday)
    );
  }
}

// Windows come from a config that rarely changes, so the same few expressions are parsed over
// and over; the cap only bounds a process fed endless distinct expressions.
const CRON_CACHE_LIMIT = 500;
const cronCache = new Map<string, Cron>();

function compileCron(expr: string): Cron {
  const cached = cronCache.get(expr);
  if (cached) return cached;
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 || fields[0] === '') {
    throw new Error(
      `cron: expected 5 fields "minute hour day-of-month month day-of-week", got ${fields[0] === '' ? 0 : fields.length}`,
    );
  }
  const [minute, hour, dom, month, dow] = fields.map(parseField) as [
    boolean[],
    boolean[],
    boolean[],
    boolean[],
    boolean[],
  ];
  // Sunday is 0; fold the alternative 7 onto it.
  if (dow[7]) dow[0] = true;
  dow.length = 7;
  const cron = new Cron(
    expr,
    minute,
    hour,
    dom,
    month,
    dow,
    !(fields[2] as string).startsWith('*'),
    !(fields[4] as string).startsWith('*'),
  );
  if (cronCache.size >= CRON_CACHE_LIMIT) cronCache.clear();
  cronCache.set(expr, cron);
  return cron;
}

/**
 * Parses a standard 5-field cron expression ("minute hour day-of-month month day-of-week").
 * Supports `*`, numbers, `a-b`, lists, `*\/n`, `a-b/n`, `a/n`, JAN-DEC, SUN-SAT (case-insensitive),
 * weekday 7 = Sunday and the day-of-month/day-of-week OR rule. Throws an Error naming the field:
 * `cron field 2 (hour): 25 is out of range 0-23`.
 */
export function parseCron5(expr: string): CronMatcher {
  return compileCron(expr);
}

interface OffsetSegment {
  /** First UTC epoch minute of the segment. */
  start: number;
  /** Wall clock minus UTC, in minutes, throughout the segment. */
  offset: number;
}

// Offset changes are months apart in every real zone; sampling every 6 hours finds each one and
// a binary search pins it to the minute, at a few dozen formatter calls for a week-long window.
const OFFSET_SAMPLE_MINUTES = 360;

/** The zone's UTC offsets over [from, to] (UTC epoch minutes), as segments in time order. */
function offsetSegments(timeZone: string, from: number, to: number): OffsetSegment[] {
  let previousOffset = offsetMinutesAt(from, timeZone);
  const segments: OffsetSegment[] = [{ start: from, offset: previousOffset }];
  let previousTime = from;
  while (previousTime < to) {
    const time = Math.min(previousTime + OFFSET_SAMPLE_MINUTES, to);
    const offset = offsetMinutesAt(time, timeZone);
    if (offset !== previousOffset) {
      let lo = previousTime;
      let hi = time;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetMinutesAt(mid, timeZone) === previousOffset) lo = mid;
        else hi = mid;
      }
      segments.push({ start: hi, offset });
      previousOffset = offset;
    }
    previousTime = time;
  }
  return segments;
}

// Windows in one zone are evaluated at about the same `now`, so they share one offset lookup,
// always covering the longest allowed window.
const MAX_DURATION_MINUTES = 10_080;
const segmentCache = new Map<string, { from: number; to: number; segments: OffsetSegment[] }>();

function segmentsFor(timeZone: string, from: number, to: number): OffsetSegment[] {
  const cached = segmentCache.get(timeZone);
  if (cached && cached.from <= from && cached.to >= to) return cached.segments;
  // Reaching a day ahead lets the next runs of a long-lived process reuse the lookup.
  const start = Math.min(from, to - MAX_DURATION_MINUTES + 1);
  const end = to + 1_440;
  const segments = offsetSegments(timeZone, start, end);
  if (segmentCache.size >= CRON_CACHE_LIMIT) segmentCache.clear();
  segmentCache.set(timeZone, { from: start, to: end, segments });
  return segments;
}

/**
 * Is there a start minute S (cron match, first showing of that wall-clock minute) with
 * S <= now < S + durationMinutes? Walks back from now over the candidate minutes; within one
 * offset segment the wall clock moves with UTC, so a day, hour or run of minutes the cron rejects
 * is skipped in one step, and only a full match costs formatter calls.
 */
function recurringWindowActive(
  cron: Cron,
  durationMinutes: number,
  timeZone: string,
  nowMinute: number,
): boolean {
  const earliest = nowMinute - durationMinutes + 1;
  const segments = segmentsFor(timeZone, earliest, nowMinute);
  let segmentIndex = segments.length - 1;
  let utc = nowMinute;
  while (utc >= earliest) {
    let segment = segments[segmentIndex] as OffsetSegment;
    while (segment.start > utc) {
      segmentIndex--;
      segment = segments[segmentIndex] as OffsetSegment;
    }
    const local = utc + segment.offset;
    const days = Math.floor(local / 1_440);
    const minuteOfDay = local - days * 1_440;
    const hour = Math.floor(minuteOfDay / 60);
    const minute = minuteOfDay - hour * 60;
    const { month, day } = civilFromDays(days);
    let next: number;
    if (!cron.matchesDay(month, day, weekdayOfDays(days))) {
      next = utc - minuteOfDay - 1;
    } else if (!cron.hours[hour]) {
      next = utc - minute - 1;
    } else if (!cron.minutes[minute]) {
      const previous = cron.previousMinute[minute] ?? -1;
      next = previous >= 0 ? utc - (minute - previous) : utc - minute - 1;
    } else if (localMinutesToUtcMinute(local, timeZone) === utc) {
      return true;
    } else {
      // The second showing of a wall-clock minute in a fall-back overlap: not a start.
      next = utc - 1;
    }
    // A skip is measured on this segment's wall clock; never let it jump past the segment's start.
    utc = Math.max(next, segment.start - 1);
  }
  return false;
}

/**
 * One-off: localTimeToInstant(start) <= now < localTimeToInstant(end) (so DST gaps and overlaps
 * resolve as there). Recurring: see the module comment.
 */
export function isWindowActive(window: MaintenanceWindow, now: Date): boolean {
  // Starts and ends fall on whole minutes, so the answer only changes from one minute to the next;
  // remembering it per window object makes the per-pod calls of a run cost one evaluation each.
  const nowMinute = Math.floor(now.getTime() / MINUTE_MS);
  const key = windowKey(window);
  const memo = activeMemo.get(window);
  if (memo && memo.nowMinute === nowMinute && memo.key === key) return memo.active;
  const active = evaluateWindow(window, nowMinute);
  activeMemo.set(window, { nowMinute, key, active });
  return active;
}

const activeMemo = new WeakMap<object, { nowMinute: number; key: string; active: boolean }>();

/** Guards the memo against a window object edited in place between calls. */
function windowKey(w: MaintenanceWindow): string {
  return `${w.timezone}|${w.recurring?.cron}|${w.recurring?.durationMinutes}|${w.oneOff?.start}|${w.oneOff?.end}`;
}

function evaluateWindow(window: MaintenanceWindow, nowMinute: number): boolean {
  if (window.oneOff) {
    const t = nowMinute * MINUTE_MS;
    return (
      localTimeToInstant(window.oneOff.start, window.timezone).getTime() <= t &&
      t < localTimeToInstant(window.oneOff.end, window.timezone).getTime()
    );
  }
  if (window.recurring) {
    return recurringWindowActive(
      compileCron(window.recurring.cron),
      window.recurring.durationMinutes,
      window.timezone,
      nowMinute,
    );
  }
  return false;
}

/** No `pods` covers every pod; an entry without `podName` covers every pod of its task. */
export function windowCoversPod(
  window: MaintenanceWindow,
  pod: { taskId: string; podName: string },
): boolean {
  if (window.pods === undefined) return true;
  const taskId = pod.taskId.toLowerCase();
  return window.pods.some(
    (p) => p.taskId.toLowerCase() === taskId && (p.podName === undefined || p.podName === pod.podName),
  );
}

/** The windows that cover the pod and are active at `now`, in config order. */
export function activeWindowsFor(
  windows: readonly MaintenanceWindow[],
  pod: { taskId: string; podName: string },
  now: Date,
): MaintenanceWindow[] {
  return windows.filter((w) => windowCoversPod(w, pod) && isWindowActive(w, now));
}

export interface WindowProblem {
  /** e.g. ['maintenanceWindows', 1, 'recurring', 'cron'], for a zod issue path. */
  path: (string | number)[];
  message: string;
}

/** February counts 29 days: a window on the 29th still opens in leap years. */
const MAX_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function neverMatches(cron: CronMatcher): boolean {
  // Every weekday occurs in every month, so only a restricted day-of-month alone can rule out all days.
  if (!cron.dayOfMonthRestricted || cron.dayOfWeekRestricted) return false;
  for (let month = 1; month <= 12; month++) {
    if (!cron.months[month]) continue;
    for (let day = 1; day <= (MAX_DAYS[month] as number); day++) if (cron.daysOfMonth[day]) return false;
  }
  return true;
}

type WindowShape = Pick<MaintenanceWindow, 'timezone' | 'recurring' | 'oneOff'>;

/** What the zod schema cannot see (cron syntax, impossible dates), each with its path for ctx.addIssue. */
export function findWindowProblems(windows: readonly WindowShape[]): WindowProblem[] {
  const problems: WindowProblem[] = [];
  windows.forEach((window, i) => {
    if (window.recurring) {
      const path = ['maintenanceWindows', i, 'recurring', 'cron'];
      try {
        const cron = parseCron5(window.recurring.cron);
        if (neverMatches(cron)) {
          problems.push({ path, message: 'never matches: no allowed month has an allowed day-of-month' });
        }
      } catch (err) {
        problems.push({ path, message: (err as Error).message });
      }
    }
    if (window.oneOff) {
      const instants: number[] = [];
      for (const key of ['start', 'end'] as const) {
        try {
          instants.push(localTimeToInstant(window.oneOff[key], window.timezone).getTime());
        } catch (err) {
          problems.push({ path: ['maintenanceWindows', i, 'oneOff', key], message: (err as Error).message });
        }
      }
      const [start, end] = instants;
      // Both ends inside one spring-forward gap resolve to the same instant: the window is empty.
      if (start !== undefined && end !== undefined && instants.length === 2 && end <= start) {
        problems.push({
          path: ['maintenanceWindows', i, 'oneOff', 'end'],
          message: `expected end after start in ${window.timezone} (both fall in a daylight-saving gap)`,
        });
      }
    }
  });
  return problems;
}

function formatProblemPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

/** `maintenanceWindows[1].recurring.cron: cron field 2 (hour): 25 is out of range 0-23`, one per problem. */
export function validateWindows(windows: readonly WindowShape[]): string[] {
  return findWindowProblems(windows).map((p) => `${formatProblemPath(p.path)}: ${p.message}`);
}
