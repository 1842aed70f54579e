/**
 * When the daily digest is due. The digest goes out once a day at a local time (`digest.at` in
 * `digest.timezone`); runs happen every few minutes, so "due" means a scheduled time has passed
 * since the last digest. Pure: `now` always comes in.
 */
import type { DigestSettings } from '../config/config';
import { civilFromDays, daysFromCivil, localMinutesToUtcMinute, MINUTE_MS, zonedParts } from './time-zones';

function scheduledOn(days: number, digest: DigestSettings): number {
  const [hour = 0, minute = 0] = digest.at.split(':').map(Number);
  const { year, month, day } = civilFromDays(days);
  return localMinutesToUtcMinute(
    daysFromCivil(year, month, day) * 1_440 + hour * 60 + minute,
    digest.timezone,
  );
}

/**
 * The most recent instant <= now at which the digest was scheduled: today's `at` in the zone, or
 * yesterday's when today's is still ahead. DST follows localTimeToInstant: on a spring-forward day
 * an `at` inside the gap is scheduled at the end of the gap (02:30 New York → 03:00 EDT), and on a
 * fall-back day an `at` inside the overlap at its first showing, so there is exactly one digest a day.
 */
export function latestDigestTime(digest: DigestSettings, now: Date): Date {
  const today = zonedParts(now, digest.timezone);
  const todayDays = daysFromCivil(today.year, today.month, today.day);
  const nowMinute = Math.floor(now.getTime() / MINUTE_MS);
  const todays = scheduledOn(todayDays, digest);
  return new Date((todays <= nowMinute ? todays : scheduledOn(todayDays - 1, digest)) * MINUTE_MS);
}

/**
 * Due when the latest scheduled time is after the last digest, or, before the first one, after
 * the watcher first ran: a fresh deployment sends its first digest at the next scheduled time
 * rather than at once. Store `now` (or latestDigestTime) as lastDigestAt once it is sent.
 *
 * An unreadable lastDigestAt falls back to firstSeenAt, and when that is unreadable too the digest
 * is due: one extra digest beats digests silently stopping for good.
 */
export function isDigestDue(
  digest: DigestSettings,
  lastDigestAt: string | undefined,
  firstSeenAt: string,
  now: Date,
): boolean {
  const last = lastDigestAt === undefined ? Number.NaN : Date.parse(lastDigestAt);
  const reference = Number.isNaN(last) ? Date.parse(firstSeenAt) : last;
  if (Number.isNaN(reference)) return true;
  return latestDigestTime(digest, now).getTime() > reference;
}
