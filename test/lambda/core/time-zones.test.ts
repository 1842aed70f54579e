import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  civilFromDays,
  daysFromCivil,
  formatLocalTime,
  localTimeToInstant,
  offsetMinutesAt,
  zonedParts,
} from '../../../lambda/core/time-zones';

const at = (iso: string) => new Date(iso);
const local = (d: Date, zone: string) => formatLocalTime(zonedParts(d, zone));
const iso = (l: string, zone: string) => localTimeToInstant(l, zone).toISOString();

const ZONES = [
  'UTC',
  'Asia/Shanghai',
  'America/New_York',
  'Europe/Berlin',
  'Australia/Sydney',
  'Australia/Lord_Howe', // 30-minute DST shift
  'Asia/Kolkata',
  'Pacific/Chatham', // +12:45 / +13:45
  'America/St_Johns',
];

describe('zonedParts', () => {
  it('reads the wall clock of a zone without DST (Asia/Shanghai, UTC+8)', () => {
    expect(zonedParts(at('2024-06-01T16:00:00Z'), 'Asia/Shanghai')).toEqual({
      year: 2024,
      month: 6,
      day: 2,
      hour: 0, // midnight is 0, never 24
      minute: 0,
      weekday: 0, // Sunday
    });
    expect(zonedParts(at('2024-06-01T15:59:59.999Z'), 'Asia/Shanghai')).toMatchObject({
      day: 1,
      hour: 23,
      minute: 59,
      weekday: 6,
    });
  });

  it('follows New York across both DST changes', () => {
    expect(local(at('2024-03-10T06:59:00Z'), 'America/New_York')).toBe('2024-03-10T01:59');
    expect(local(at('2024-03-10T07:00:00Z'), 'America/New_York')).toBe('2024-03-10T03:00');
    // 01:xx happens twice on the fall-back day: EDT, then EST.
    expect(local(at('2024-11-03T05:30:00Z'), 'America/New_York')).toBe('2024-11-03T01:30');
    expect(local(at('2024-11-03T06:30:00Z'), 'America/New_York')).toBe('2024-11-03T01:30');
    expect(local(at('2024-11-03T07:00:00Z'), 'America/New_York')).toBe('2024-11-03T02:00');
  });

  it('gives midnight as hour 0 in every zone', () => {
    for (const zone of ZONES) {
      const midnight = localTimeToInstant('2024-01-15T00:00', zone);
      expect(zonedParts(midnight, zone)).toMatchObject({ hour: 0, minute: 0, day: 15, weekday: 1 });
    }
  });

  it('throws for an unknown zone', () => {
    expect(() => zonedParts(at('2024-01-01T00:00:00Z'), 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('localTimeToInstant', () => {
  it('converts in a zone without DST', () => {
    expect(iso('2024-06-01T09:00', 'Asia/Shanghai')).toBe('2024-06-01T01:00:00.000Z');
    expect(iso('2024-06-01T00:00', 'Asia/Shanghai')).toBe('2024-05-31T16:00:00.000Z');
  });

  it('spring-forward gap: gives the first instant after the gap (New York, 2024-03-10)', () => {
    expect(iso('2024-03-10T01:59', 'America/New_York')).toBe('2024-03-10T06:59:00.000Z');
    expect(iso('2024-03-10T02:00', 'America/New_York')).toBe('2024-03-10T07:00:00.000Z');
    expect(iso('2024-03-10T02:30', 'America/New_York')).toBe('2024-03-10T07:00:00.000Z'); // = 03:00 EDT
    expect(iso('2024-03-10T02:59', 'America/New_York')).toBe('2024-03-10T07:00:00.000Z');
    expect(iso('2024-03-10T03:00', 'America/New_York')).toBe('2024-03-10T07:00:00.000Z');
    expect(iso('2024-03-10T03:01', 'America/New_York')).toBe('2024-03-10T07:01:00.000Z');
  });

  it('spring-forward gap in Berlin (2024-03-31, 02:00 CET → 03:00 CEST)', () => {
    expect(iso('2024-03-31T01:59', 'Europe/Berlin')).toBe('2024-03-31T00:59:00.000Z');
    expect(iso('2024-03-31T02:30', 'Europe/Berlin')).toBe('2024-03-31T01:00:00.000Z');
    expect(iso('2024-03-31T03:00', 'Europe/Berlin')).toBe('2024-03-31T01:00:00.000Z');
  });

  it('fall-back overlap: gives the EARLIER instant', () => {
    // New York repeats 01:00-01:59 (EDT, then EST).
    expect(iso('2024-11-03T01:30', 'America/New_York')).toBe('2024-11-03T05:30:00.000Z');
    expect(iso('2024-11-03T00:59', 'America/New_York')).toBe('2024-11-03T04:59:00.000Z');
    expect(iso('2024-11-03T02:00', 'America/New_York')).toBe('2024-11-03T07:00:00.000Z');
    // Berlin repeats 02:00-02:59 (CEST, then CET).
    expect(iso('2024-10-27T02:00', 'Europe/Berlin')).toBe('2024-10-27T00:00:00.000Z');
    expect(iso('2024-10-27T02:59', 'Europe/Berlin')).toBe('2024-10-27T00:59:00.000Z');
    expect(iso('2024-10-27T03:00', 'Europe/Berlin')).toBe('2024-10-27T02:00:00.000Z');
  });

  it('handles zones with half-hour DST (Lord Howe) and southern-hemisphere DST (Sydney)', () => {
    // Lord Howe 2024-10-06: 02:00 +10:30 → 02:30 +11:00.
    expect(iso('2024-10-06T02:15', 'Australia/Lord_Howe')).toBe('2024-10-05T15:30:00.000Z');
    // Sydney 2024-04-07: 03:00 AEDT → 02:00 AEST; 02:30 happens twice.
    expect(iso('2024-04-07T02:30', 'Australia/Sydney')).toBe('2024-04-06T15:30:00.000Z');
  });

  it('rejects malformed or impossible local times', () => {
    expect(() => localTimeToInstant('2024-02-30T00:00', 'UTC')).toThrow(
      '"2024-02-30T00:00" is not a valid date and time',
    );
    expect(() => localTimeToInstant('2023-02-29T00:00', 'UTC')).toThrow('not a valid date');
    expect(() => localTimeToInstant('2024-02-29T24:00', 'UTC')).toThrow('not a valid date');
    expect(() => localTimeToInstant('2024-13-01T00:00', 'UTC')).toThrow('not a valid date');
    expect(() => localTimeToInstant('2024-1-01T00:00', 'UTC')).toThrow(
      'expected a local time "YYYY-MM-DDTHH:MM"',
    );
    expect(() => localTimeToInstant('2024-01-01 00:00', 'UTC')).toThrow('expected a local time');
    expect(iso('2024-02-29T23:59', 'UTC')).toBe('2024-02-29T23:59:00.000Z');
  });
});

describe('civil day arithmetic', () => {
  it('round-trips and agrees with Date', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), (days) => {
        const { year, month, day } = civilFromDays(days);
        expect(daysFromCivil(year, month, day)).toBe(days);
        const d = new Date(days * 86_400_000);
        expect([year, month, day]).toEqual([d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]);
      }),
    );
  });
});

// Instants spread over 1970-2100 in any zone, and half of the runs within a day of a DST change of
// the zone itself, so gaps and overlaps come up in every run.
const TRANSITIONS: [string, string][] = [
  ['America/New_York', '2024-03-10T07:00:00Z'],
  ['America/New_York', '2024-11-03T06:00:00Z'],
  ['Europe/Berlin', '2024-03-31T01:00:00Z'],
  ['Europe/Berlin', '2024-10-27T01:00:00Z'],
  ['Australia/Sydney', '2024-04-06T16:00:00Z'],
  ['Australia/Sydney', '2024-10-05T16:00:00Z'],
  ['Australia/Lord_Howe', '2024-10-05T15:30:00Z'],
  ['Australia/Lord_Howe', '2024-04-06T15:00:00Z'],
  ['Pacific/Chatham', '2024-09-28T14:00:00Z'],
  ['America/St_Johns', '2024-11-03T03:30:00Z'],
];
const zonedInstantArb: fc.Arbitrary<[Date, string]> = fc.oneof(
  fc.tuple(
    fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }).map((ms) => new Date(ms)),
    fc.constantFrom(...ZONES),
  ),
  fc
    .tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -24 * 3_600_000, max: 24 * 3_600_000 }))
    .map(([[zone, t], d]): [Date, string] => [new Date(Date.parse(t) + d), zone]),
);

describe('localTimeToInstant properties', () => {
  it('round-trips zonedParts to the same minute, except in overlaps where it gives the earlier instant', () => {
    let overlaps = 0;
    fc.assert(
      fc.property(zonedInstantArb, ([date, zone]) => {
        const minute = Math.floor(date.getTime() / 60_000) * 60_000;
        const text = local(date, zone);
        const back = localTimeToInstant(text, zone).getTime();
        // It always names an instant that shows the same wall-clock minute…
        expect(local(new Date(back), zone)).toBe(text);
        if (back !== minute) {
          // …and differs only in an overlap: the earlier showing, under a larger offset.
          overlaps++;
          expect(back).toBeLessThan(minute);
          expect(minute - back).toBeLessThanOrEqual(3_600_000);
          expect(offsetMinutesAt(back / 60_000, zone)).toBeGreaterThan(
            offsetMinutesAt(minute / 60_000, zone),
          );
        }
      }),
      { numRuns: 2_000 },
    );
    expect(overlaps).toBeGreaterThan(0);
  });

  it('maps a local time that does not exist to the moment the clock jumps past it', () => {
    let gaps = 0;
    fc.assert(
      fc.property(zonedInstantArb, fc.integer({ min: -180, max: 180 }), ([date, zone], shift) => {
        // Move the wall clock itself (not the instant), so the text may land in a gap.
        const text = new Date(Date.parse(`${local(date, zone)}:00Z`) + shift * 60_000)
          .toISOString()
          .slice(0, 16);
        const back = localTimeToInstant(text, zone);
        const shown = local(back, zone);
        if (shown !== text) {
          // A gap: the first minute under the new offset, with the minute before it still before the gap.
          gaps++;
          expect(shown > text).toBe(true);
          const m = back.getTime() / 60_000;
          expect(offsetMinutesAt(m - 1, zone)).toBeLessThan(offsetMinutesAt(m, zone));
          expect(local(new Date(back.getTime() - 60_000), zone) < text).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
    expect(gaps).toBeGreaterThan(0);
  });
});
