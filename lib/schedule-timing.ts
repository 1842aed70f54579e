import { ConfigError } from '../lambda/config/config';

/**
 * Periods derived from `config.schedule`, for the alarms and the delivery limits.
 * Pure functions so the CloudWatch constraints can be tested without synthesizing.
 */

const RATE_RE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_SECONDS: Record<string, number> = {
  minute: 60,
  minutes: 60,
  hour: 3_600,
  hours: 3_600,
  day: 86_400,
  days: 86_400,
};

/** Evaluation periods of the heartbeat alarm: three missed runs in a row before anyone is woken. */
export const HEARTBEAT_EVALUATION_PERIODS = 3;
/**
 * For a cron schedule the interval between runs is not a single number (business hours, weekdays),
 * so the heartbeat assumes an hourly run at least. A cron that fires less often than hourly will
 * trip the heartbeat between runs; use a rate(...) schedule for that.
 */
export const CRON_ASSUMED_PERIOD_SECONDS = 3_600;
/**
 * CloudWatch (PutMetricAlarm): period × evaluationPeriods may not exceed 1 day when the period is
 * under an hour, nor 7 days otherwise. With 3 evaluation periods that caps the period at 56 hours.
 */
const ALARM_RANGE_SHORT_PERIOD_SECONDS = 86_400;
const ALARM_RANGE_LONG_PERIOD_SECONDS = 7 * 86_400;
const MAX_HEARTBEAT_PERIOD_SECONDS = ALARM_RANGE_LONG_PERIOD_SECONDS / HEARTBEAT_EVALUATION_PERIODS;

/** Seconds between runs for `rate(...)`; undefined for `cron(...)`. */
export function rateSeconds(schedule: string): number | undefined {
  const m = RATE_RE.exec(schedule);
  if (!m?.[1] || !m[2]) return undefined;
  return Number(m[1]) * (UNIT_SECONDS[m[2]] ?? Number.NaN);
}

/**
 * The interval the alarms and delivery limits assume between runs: the rate, or for a cron schedule
 * the longest gap the config declares (`runIntervalMinutes`, required by the schema for cron).
 */
export function assumedRunIntervalSeconds(schedule: string, runIntervalMinutes?: number): number {
  return (
    rateSeconds(schedule) ??
    (runIntervalMinutes !== undefined ? runIntervalMinutes * 60 : CRON_ASSUMED_PERIOD_SECONDS)
  );
}

/**
 * Period of the heartbeat alarm (Sum of RunsSucceeded < 1 over 3 periods).
 *
 * At least the run interval, and at least the function timeout: with reserved concurrency 1 a slow
 * run makes the next ticks wait or skip, so successes can be one timeout apart even on a fast rate.
 * Rounded up to whole minutes (CloudWatch accepts multiples of 60 s) and capped at 56 hours; a rate
 * slower than 56 hours is still watched over the full 7 days, where a run must appear. Rates slower
 * than 7 days cannot be watched by a CloudWatch alarm at all and are refused.
 */
export function heartbeatPeriodSeconds(
  schedule: string,
  functionTimeoutSeconds: number,
  runIntervalMinutes?: number,
): number {
  const interval = assumedRunIntervalSeconds(schedule, runIntervalMinutes);
  if (interval > ALARM_RANGE_LONG_PERIOD_SECONDS) {
    throw new ConfigError(
      `schedule: ${schedule} runs more than 7 days apart, which the heartbeat alarm cannot watch ` +
        '(CloudWatch evaluates at most 7 days); use a rate of 7 days or less',
    );
  }
  const wanted = Math.ceil(Math.max(interval, functionTimeoutSeconds) / 60) * 60;
  const period = Math.min(wanted, MAX_HEARTBEAT_PERIOD_SECONDS);
  const limit = period < 3_600 ? ALARM_RANGE_SHORT_PERIOD_SECONDS : ALARM_RANGE_LONG_PERIOD_SECONDS;
  if (period * HEARTBEAT_EVALUATION_PERIODS > limit) {
    // Unreachable with 3 periods (3 × 59 min < 1 day); kept so a change to the constants cannot
    // silently produce an alarm CloudFormation rejects at deploy time.
    throw new Error(
      `heartbeat period ${period}s × ${HEARTBEAT_EVALUATION_PERIODS} exceeds CloudWatch's ${limit}s`,
    );
  }
  return period;
}

/**
 * How long a scheduled invocation may wait for delivery (EventBridge Scheduler: 60 s to 1 day) or
 * in Lambda's async queue (60 s to 6 hours). A tick older than one interval has been superseded by
 * the next tick, so delivering it late would only run the same check twice.
 */
export function maxEventAgeSeconds(schedule: string, max: number): number {
  // Not the longest gap of a cron schedule: a tick is superseded by the next one, usually soon.
  return Math.min(max, Math.max(60, assumedRunIntervalSeconds(schedule)));
}
