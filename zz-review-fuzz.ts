import { isWindowActive, parseCron5 } from './lambda/core/maintenance-windows';
import { localMinutesOf, localMinutesToUtcMinute, MINUTE_MS, zonedParts } from './lambda/core/time-zones';

const zones = [
  'America/New_York',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'Asia/Shanghai',
  'America/Santiago',
  'Pacific/Chatham',
  'Asia/Tehran',
  'Africa/Casablanca',
];
const crons = [
  '0 2 * * *',
  '30 1 * * *',
  '*/7 1-3 * * 0',
  '15 0 1 * *',
  '45 23 * * 6',
  '0 0 * * *',
  '59 2 * 3,10,11 *',
  '*/20 * 29 2 *',
  '0 3 15 * 1',
];
let rnd = 12345;
const r = () => (rnd = (rnd * 1103515245 + 12345) % 2147483648) / 2147483648;
function brute(cron: string, dur: number, tz: string, nowMin: number) {
  const c = parseCron5(cron);
  for (let u = nowMin - dur + 1; u <= nowMin; u++) {
    const p = zonedParts(new Date(u * MINUTE_MS), tz);
    if (c.matches(p) && localMinutesToUtcMinute(localMinutesOf(p), tz) === u) return true;
  }
  return false;
}
// pick times near DST transitions of 2026
const bases = [
  '2026-03-08T06:00Z',
  '2026-03-29T00:30Z',
  '2026-04-05T15:00Z',
  '2026-10-04T15:00Z',
  '2026-10-25T00:30Z',
  '2026-11-01T05:30Z',
  '2026-09-06T03:00Z',
  '2026-04-04T23:00Z',
  '2026-03-21T00:00Z',
  '2026-02-15T02:00Z',
  '2026-05-17T01:00Z',
];
let mismatches = 0,
  n = 0;
for (let i = 0; i < 4000; i++) {
  const tz = zones[Math.floor(r() * zones.length)]!;
  const cron = crons[Math.floor(r() * crons.length)]!;
  const dur = [1, 5, 30, 61, 120, 1440, 3000][Math.floor(r() * 7)]!;
  const base = Date.parse(bases[Math.floor(r() * bases.length)]!) / MINUTE_MS;
  const nowMin = Math.floor(base + (r() - 0.5) * 2 * 1440);
  const w = {
    name: 'w',
    timezone: tz,
    recurring: { cron, durationMinutes: dur },
    allowCritical: false,
  } as any;
  const got = isWindowActive(w, new Date(nowMin * MINUTE_MS));
  const want = brute(cron, dur, tz, nowMin);
  n++;
  if (got !== want) {
    mismatches++;
    if (mismatches < 10)
      console.log(
        'MISMATCH',
        tz,
        cron,
        dur,
        new Date(nowMin * MINUTE_MS).toISOString(),
        'got',
        got,
        'want',
        want,
      );
  }
}
console.log('cases', n, 'mismatches', mismatches);
