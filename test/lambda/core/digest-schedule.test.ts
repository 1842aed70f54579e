import { describe, expect, it } from 'vitest';
import type { DigestSettings } from '../../../lambda/config/config';
import { isDigestDue, latestDigestTime } from '../../../lambda/core/digest-schedule';

const shanghai: DigestSettings = { at: '09:00', timezone: 'Asia/Shanghai' };
const newYork: DigestSettings = { at: '02:30', timezone: 'America/New_York' };
const latest = (d: DigestSettings, now: string) => latestDigestTime(d, new Date(now)).toISOString();

describe('latestDigestTime', () => {
  it('is today at 09:00 Shanghai once that has passed, else yesterday', () => {
    // 09:00 Shanghai = 01:00Z.
    expect(latest(shanghai, '2024-06-01T00:59:59.999Z')).toBe('2024-05-31T01:00:00.000Z');
    expect(latest(shanghai, '2024-06-01T01:00:00.000Z')).toBe('2024-06-01T01:00:00.000Z');
    expect(latest(shanghai, '2024-06-01T15:59:00.000Z')).toBe('2024-06-01T01:00:00.000Z'); // 23:59 local
    expect(latest(shanghai, '2024-06-01T16:00:00.000Z')).toBe('2024-06-01T01:00:00.000Z'); // 00:00 next day
  });

  it('on the New York spring-forward day, 02:30 does not exist: the digest is due at 03:00 EDT', () => {
    expect(latest(newYork, '2024-03-10T06:59:00Z')).toBe('2024-03-09T07:30:00.000Z'); // 01:59 EST: yesterday's 02:30 EST
    expect(latest(newYork, '2024-03-10T07:00:00Z')).toBe('2024-03-10T07:00:00.000Z'); // 03:00 EDT
    expect(latest(newYork, '2024-03-10T12:00:00Z')).toBe('2024-03-10T07:00:00.000Z');
    expect(latest(newYork, '2024-03-11T06:29:00Z')).toBe('2024-03-10T07:00:00.000Z');
    expect(latest(newYork, '2024-03-11T06:30:00Z')).toBe('2024-03-11T06:30:00.000Z'); // 02:30 EDT
  });

  it('on the fall-back day, a time in the repeated hour is scheduled at its first showing only', () => {
    const d: DigestSettings = { at: '01:30', timezone: 'America/New_York' };
    expect(latest(d, '2024-11-03T05:29:00Z')).toBe('2024-11-02T05:30:00.000Z');
    expect(latest(d, '2024-11-03T05:30:00Z')).toBe('2024-11-03T05:30:00.000Z'); // 01:30 EDT
    expect(latest(d, '2024-11-03T06:45:00Z')).toBe('2024-11-03T05:30:00.000Z'); // 01:45 EST: still the first
    expect(
      isDigestDue(d, '2024-11-03T05:30:00Z', '2024-01-01T00:00:00Z', new Date('2024-11-03T06:31:00Z')),
    ).toBe(false);
  });

  it('handles a Berlin digest across both changes', () => {
    const d: DigestSettings = { at: '02:30', timezone: 'Europe/Berlin' };
    expect(latest(d, '2024-03-31T12:00:00Z')).toBe('2024-03-31T01:00:00.000Z'); // gap: 03:00 CEST
    expect(latest(d, '2024-10-27T12:00:00Z')).toBe('2024-10-27T00:30:00.000Z'); // overlap: 02:30 CEST
  });
});

describe('isDigestDue', () => {
  it('sends the first digest at the next scheduled time after deployment, not at once', () => {
    const firstSeenAt = '2024-06-01T03:00:00Z'; // 11:00 Shanghai, after today's 09:00
    expect(isDigestDue(shanghai, undefined, firstSeenAt, new Date('2024-06-01T03:00:00Z'))).toBe(false);
    expect(isDigestDue(shanghai, undefined, firstSeenAt, new Date('2024-06-02T00:59:00Z'))).toBe(false);
    expect(isDigestDue(shanghai, undefined, firstSeenAt, new Date('2024-06-02T01:00:00Z'))).toBe(true);
    // Deployed at 08:00 local: the first digest is the same morning.
    expect(isDigestDue(shanghai, undefined, '2024-06-01T00:00:00Z', new Date('2024-06-01T00:55:00Z'))).toBe(
      false,
    );
    expect(isDigestDue(shanghai, undefined, '2024-06-01T00:00:00Z', new Date('2024-06-01T01:05:00Z'))).toBe(
      true,
    );
  });

  it('is due once per scheduled time', () => {
    const sentAt = '2024-06-02T01:05:00Z';
    expect(isDigestDue(shanghai, sentAt, '2024-01-01T00:00:00Z', new Date('2024-06-02T01:10:00Z'))).toBe(
      false,
    );
    expect(isDigestDue(shanghai, sentAt, '2024-01-01T00:00:00Z', new Date('2024-06-03T00:59:00Z'))).toBe(
      false,
    );
    expect(isDigestDue(shanghai, sentAt, '2024-01-01T00:00:00Z', new Date('2024-06-03T01:00:00Z'))).toBe(
      true,
    );
    // Storing the scheduled instant itself works too: due strictly after it.
    expect(
      isDigestDue(
        shanghai,
        '2024-06-02T01:00:00.000Z',
        '2024-01-01T00:00:00Z',
        new Date('2024-06-02T01:00:00Z'),
      ),
    ).toBe(false);
  });

  it('sends one catch-up digest after missed days', () => {
    expect(
      isDigestDue(shanghai, '2024-05-28T01:00:00Z', '2024-01-01T00:00:00Z', new Date('2024-06-02T05:00:00Z')),
    ).toBe(true);
  });

  it('on the spring-forward day, a 02:30 New York digest is due from 03:00 EDT', () => {
    const last = '2024-03-09T07:30:00Z';
    expect(isDigestDue(newYork, last, '2024-01-01T00:00:00Z', new Date('2024-03-10T06:59:00Z'))).toBe(false);
    expect(isDigestDue(newYork, last, '2024-01-01T00:00:00Z', new Date('2024-03-10T07:00:00Z'))).toBe(true);
  });

  it('treats an unreadable lastDigestAt as absent, and an unreadable firstSeenAt as due', () => {
    expect(isDigestDue(shanghai, 'garbage', '2024-06-01T03:00:00Z', new Date('2024-06-01T05:00:00Z'))).toBe(
      false,
    );
    expect(isDigestDue(shanghai, 'garbage', '2024-06-01T03:00:00Z', new Date('2024-06-02T05:00:00Z'))).toBe(
      true,
    );
    expect(isDigestDue(shanghai, undefined, 'garbage', new Date('2024-06-01T05:00:00Z'))).toBe(true);
  });
});
