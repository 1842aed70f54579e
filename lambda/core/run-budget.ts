import type { PodWatchConfig } from '../config/config';
import { CHAT_BUDGET_MS } from './run-check';

/**
 * How long one run may take, worst case: the Lambda function's timeout, and the local CLI's own
 * deadline and lock lifetime, so both shells bound a run the same way.
 */

/** The config fields the run time depends on. */
export type TimeoutInputs = Pick<PodWatchConfig, 'pods' | 'concurrency' | 'timeoutSeconds' | 'retries'> & {
  webhooks?: readonly unknown[];
};

/** Lambda's own ceiling. */
export const MAX_LAMBDA_TIMEOUT_SECONDS = 900;
/** Below this, cold start plus the 20 s wrap-up would leave almost no time for checks. */
export const MIN_LAMBDA_TIMEOUT_SECONDS = 60;
/** Cold start, reading the key and state, and publishing the alert. */
const FIXED_OVERHEAD_SECONDS = 30;
/** The lease item must outlive a run that is killed at its timeout, so the next run cannot overlap it. */
const LEASE_MARGIN_SECONDS = 60;
/** The HTTP client's backoff cap: at most this long between two attempts (Retry-After aside). */
const BACKOFF_CAP_SECONDS = 4;

/**
 * The function timeout: enough for every wave of `concurrency` pods to use all its attempts
 * (`retries + 1` request timeouts plus the capped backoff between them), clamped to [60, 900]
 * seconds. A long timeout costs nothing by itself: Lambda bills the time a run really takes.
 *
 * Large configs may still not fit in 900 s. That is safe: the core also enforces a run deadline
 * (the remaining time minus 20 s), so pods not reached in time are reported "can't check" and the
 * run still records state and sends its alert, instead of the whole run timing out.
 */
export function lambdaTimeoutSeconds(config: TimeoutInputs): number {
  const waves = Math.ceil(config.pods.length / config.concurrency);
  const perWave = config.timeoutSeconds * (config.retries + 1) + BACKOFF_CAP_SECONDS * config.retries;
  // Chat webhooks are sent after the checks, within their own budget.
  const chat = config.webhooks && config.webhooks.length > 0 ? CHAT_BUDGET_MS / 1000 : 0;
  const exact = FIXED_OVERHEAD_SECONDS + chat + waves * perWave;
  // timeoutSeconds may be fractional and Lambda wants whole seconds; rounding first keeps binary
  // noise (1.1 × 2 + 4 = 6.200000000000001) from adding a second.
  const needed = Math.ceil(Math.round(exact * 1e6) / 1e6);
  return Math.min(MAX_LAMBDA_TIMEOUT_SECONDS, Math.max(MIN_LAMBDA_TIMEOUT_SECONDS, needed));
}

/** How long a run's lease is held: its timeout plus a margin, so a crashed run's lease expires on its own. */
export function leaseTtlSeconds(config: TimeoutInputs): number {
  return lambdaTimeoutSeconds(config) + LEASE_MARGIN_SECONDS;
}
