/**
 * Wall-clock arithmetic in IANA time zones with nothing but `Intl.DateTimeFormat`: the Lambda
 * runtime ships full ICU, and a time-zone package would be one more thing to keep in step with
 * the tz database. Pure: every instant comes in as an argument.
 */

export interface ZonedParts {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  /** 0-23 */
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

/** A wall-clock date and minute, without a zone. */
export type LocalDateTime = Omit<ZonedParts, 'weekday'>;

export const MINUTE_MS = 60_000;
const MINUTES_PER_DAY = 1_440;
const LOCAL_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

// Building a DateTimeFormat costs far more than formatting with one, and the window scan formats
// hundreds of instants per run. The cap only guards a long-lived process fed ever new zone names.
const FORMATTER_CACHE_LIMIT = 500;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    if (formatters.size >= FORMATTER_CACHE_LIMIT) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; no Date.UTC 0-99 quirk). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Inverse of daysFromCivil. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** 1970-01-01 was a Thursday. */
export function weekdayOfDays(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

export function daysInMonth(year: number, month: number): number {
  return (
    daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) -
    daysFromCivil(year, month, 1)
  );
}

/** The wall clock of `timeZone` at `date`. Throws RangeError for an unknown zone. */
export function zonedParts(date: Date, timeZone: string): ZonedParts {
  let year = Number.NaN;
  let month = Number.NaN;
  let day = Number.NaN;
  let hour = Number.NaN;
  let minute = Number.NaN;
  for (const part of formatterFor(timeZone).formatToParts(date)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        // Some engines still print midnight as "24" even with hourCycle h23.
        hour = Number(part.value) % 24;
        break;
      case 'minute':
        minute = Number(part.value);
        break;
    }
  }
  if ([year, month, day, hour, minute].some(Number.isNaN)) {
    throw new RangeError(`cannot read the wall clock of ${timeZone} at ${date.toISOString()}`);
  }
  // Derived from the date rather than formatted, so no weekday names need parsing.
  return { year, month, day, hour, minute, weekday: weekdayOfDays(daysFromCivil(year, month, day)) };
}

/** `YYYY-MM-DDTHH:MM`, the format of the config's local times. */
export function formatLocalTime(parts: LocalDateTime): string {
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${String(parts.year).padStart(4, '0')}-${p2(parts.month)}-${p2(parts.day)}T${p2(parts.hour)}:${p2(parts.minute)}`;
}

/** Wall-clock minutes since 1970-01-01T00:00 of the given local date and time, ignoring any zone. */
export function localMinutesOf(parts: LocalDateTime): number {
  return daysFromCivil(parts.year, parts.month, parts.day) * MINUTES_PER_DAY + parts.hour * 60 + parts.minute;
}

/** Minutes the zone's wall clock is ahead of UTC during the UTC minute `utcMinute` (epoch minutes). */
export function offsetMinutesAt(utcMinute: number, timeZone: string): number {
  return localMinutesOf(zonedParts(new Date(utcMinute * MINUTE_MS), timeZone)) - utcMinute;
}

/**
 * The UTC epoch minute at which the wall clock of `timeZone` shows the local minute `localMinutes`.
 *
 * - Fall-back overlap (the local time happens twice): the EARLIER instant, so that something
 *   scheduled at that time happens once, at its first occurrence.
 * - Spring-forward gap (the local time never happens): the first instant after the gap, i.e. the
 *   moment the clock jumps (02:30 on a US spring-forward day → 03:00 local). Shifting by the gap
 *   length instead (→ 03:30) would make a 02:30 digest later than one scheduled at 03:00.
 *
 * Assumes at most one offset change within a day either side, which holds for every real zone.
 */
export function localMinutesToUtcMinute(localMinutes: number, timeZone: string): number {
  // Real offsets lie within ±14 h, so a day either side reaches the offsets in force before and after.
  const before = offsetMinutesAt(localMinutes - MINUTES_PER_DAY, timeZone);
  const after = offsetMinutesAt(localMinutes + MINUTES_PER_DAY, timeZone);
  const withBefore = localMinutes - before;
  if (before === after) return withBefore;
  const withAfter = localMinutes - after;
  const beforeFits = offsetMinutesAt(withBefore, timeZone) === before;
  const afterFits = offsetMinutesAt(withAfter, timeZone) === after;
  if (beforeFits && afterFits) return Math.min(withBefore, withAfter);
  if (beforeFits) return withBefore;
  if (afterFits) return withAfter;
  // In the gap: the transition lies between the two candidates; find its first minute.
  let lo = Math.min(withBefore, withAfter);
  let hi = Math.max(withBefore, withAfter);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMinutesAt(mid, timeZone) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Parses `YYYY-MM-DDTHH:MM`, checking that the date exists in the calendar. */
export function parseLocalTime(local: string): LocalDateTime {
  const m = LOCAL_TIME_RE.exec(local);
  if (!m) throw new Error(`expected a local time "YYYY-MM-DDTHH:MM", got "${local}"`);
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59) {
    throw new Error(`"${local}" is not a valid date and time`);
  }
  return { year, month, day, hour, minute };
}

/**
 * The instant at which the wall clock in `timeZone` shows `local` (`YYYY-MM-DDTHH:MM`).
 * DST: an overlap gives the earlier instant, a gap the first instant after it (see
 * localMinutesToUtcMinute).
 */
export function localTimeToInstant(local: string, timeZone: string): Date {
  return new Date(localMinutesToUtcMinute(localMinutesOf(parseLocalTime(local)), timeZone) * MINUTE_MS);
}
