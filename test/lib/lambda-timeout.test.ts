import { describe, expect, it } from 'vitest';
import {
  lambdaTimeoutSeconds,
  leaseTtlSeconds,
  MAX_LAMBDA_TIMEOUT_SECONDS,
  MIN_LAMBDA_TIMEOUT_SECONDS,
  type TimeoutInputs,
} from '../../lib/lambda-timeout';

function inputs(pods: number, concurrency: number, timeoutSeconds: number, retries = 2): TimeoutInputs {
  return {
    pods: Array.from({ length: pods }, (_, i) => ({ taskId: `t-${i}`, podName: `p-${i}` })),
    concurrency,
    timeoutSeconds,
    retries,
  };
}

describe('lambdaTimeoutSeconds', () => {
  it.each([
    // pods, concurrency, request timeout, retries, expected:
    // 30 + ceil(pods / concurrency) × (timeout × (retries + 1) + 4 × retries), in [60, 900]
    [2, 8, 10, 0, 60], // 40 s needed: raised to the 60 s floor
    [2, 8, 10, 2, 68], // one wave of three attempts and two backoffs: 30 + 38
    [16, 8, 10, 2, 106], // two waves
    [17, 8, 10, 2, 144], // a partial wave counts as a whole one
    [100, 8, 10, 2, 524], // the defaults
    [100, 64, 60, 0, 150],
    [1_000, 8, 10, 2, 900], // 4780 s needed: capped at Lambda's 900 s, the run deadline reports the rest
    [5_000, 1, 60, 5, 900],
    [40, 1, 2.5, 0, 130], // fractional request timeouts
    [20, 1, 1.1, 1, 154], // 6.200000000000001 per wave in floating point must not make 155
    [130, 2, 1.3, 1, 459], // 65 waves × 6.6 s + 30
  ])(
    '%i pods, concurrency %i, timeoutSeconds %f, retries %i → %i s',
    (pods, concurrency, timeout, retries, expected) => {
      const got = lambdaTimeoutSeconds(inputs(pods, concurrency, timeout, retries));
      expect(got).toBe(expected);
    },
  );

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

describe('lambdaTimeoutSeconds with chat webhooks', () => {
  it('adds the chat budget when webhooks are configured', () => {
    const base = inputs(16, 8, 10);
    expect(lambdaTimeoutSeconds({ ...base, webhooks: [{}] })).toBe(lambdaTimeoutSeconds(base) + 15);
    expect(lambdaTimeoutSeconds({ ...base, webhooks: [] })).toBe(lambdaTimeoutSeconds(base));
  });
});

describe('leaseTtlSeconds', () => {
  it('outlives the function timeout by a minute', () => {
    expect(leaseTtlSeconds(inputs(2, 8, 10))).toBe(128);
    expect(leaseTtlSeconds(inputs(100, 8, 10))).toBe(584);
    expect(leaseTtlSeconds(inputs(1_000, 8, 10))).toBe(960);
  });
});
