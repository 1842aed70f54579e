/** The Lambda timeout and lease lifetime are the run budget of the core (lambda/core/run-budget.ts). */
export {
  lambdaTimeoutSeconds,
  leaseTtlSeconds,
  MAX_LAMBDA_TIMEOUT_SECONDS,
  MIN_LAMBDA_TIMEOUT_SECONDS,
  type TimeoutInputs,
} from '../lambda/core/run-budget';
