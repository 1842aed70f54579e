import { describe, expect, it } from 'vitest';
import {
  lambdaTimeoutSeconds,
  leaseTtlSeconds,
  MAX_LAMBDA_TIMEOUT_SECONDS,
  MIN_LAMBDA_TIMEOUT_SECONDS,
  type TimeoutInputs,
} from '../../lib/lambda-timeout';

function inputs(pods: number, concurrency: number, timeoutSeconds: number): TimeoutInputs {
  return {
    pods: Array.from({ length: pods }, (_, i) => ({ taskId: `t-${i}`, podName: `p-${i}` })),
    concurrency,
    timeoutSeconds,
  };
}

describe('lambdaTimeoutSeconds', () => {
  it.each([
    // pods, concurrency, request timeout, expected: 30 + ceil(pods / concurrency) × timeout × 2, in [60, 900]
    [2, 8, 10, 60], // 50 s needed: raised to the 60 s floor
    [16, 8, 10, 70], // two waves
    [17, 8, 10, 90], // a partial wave counts as a whole one
    [100, 8, 10, 290],
    [100, 64, 60, 270],
    [1_000, 8, 10, 900], // 2530 s needed: capped at Lambda's 900 s, the run deadline reports the rest
    [5_000, 1, 60, 900],
    [40, 1, 2.5, 230], // fractional request timeouts
    [20, 1, 1.1, 74], // 74.00000000000001 in floating point must not become 75
    [130, 2, 1.3, 199], // 65 waves × 2.6 s + 30
  ])('%i pods, concurrency %i, timeoutSeconds %f → %i s', (pods, concurrency, timeout, expected) => {
    const got = lambdaTimeoutSeconds(inputs(pods, concurrency, timeout));
    expect(got).toBe(expected);
  });

  it('is always a whole number of seconds within Lambda limits, and never shrinks as pods are added', () => {
    for (const concurrency of [1, 3, 8, 64]) {
      for (const timeout of [1, 1.7, 10, 60]) {
        let previous = 0;
        for (let pods = 1; pods <= 400; pods += 7) {
          const t = lambdaTimeoutSeconds(inputs(pods, concurrency, timeout));
          expect(Number.isInteger(t)).toBe(true);
          expect(t).toBeGreaterThanOrEqual(MIN_LAMBDA_TIMEOUT_SECONDS);
          expect(t).toBeLessThanOrEqual(MAX_LAMBDA_TIMEOUT_SECONDS);
          expect(t).toBeGreaterThanOrEqual(previous);
          previous = t;
        }
      }
    }
  });
});

describe('leaseTtlSeconds', () => {
  it('outlives the function timeout by a minute', () => {
    expect(leaseTtlSeconds(inputs(2, 8, 10))).toBe(120);
    expect(leaseTtlSeconds(inputs(100, 8, 10))).toBe(350);
    expect(leaseTtlSeconds(inputs(1_000, 8, 10))).toBe(960);
  });
});
