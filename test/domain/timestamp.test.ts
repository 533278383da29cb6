import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseDate, parseTimestamp, utcDay } from '../../src/domain/timestamp.js';

/** 2019-01-01 15:04:05 UTC, the documents' example time. */
const EXAMPLE_MS = Date.UTC(2019, 0, 1, 15, 4, 5);
const MIN_MS = Date.UTC(1970, 0, 1);
const MAX_MS = Date.UTC(2200, 0, 1);

describe('parseTimestamp: every accepted form', () => {
  it.each<[string, unknown, number]>([
    ['the documents\' "YYYY-MM-DD HH:MM:SS" (UTC)', '2019-01-01 15:04:05', EXAMPLE_MS],
    ['fractional seconds', '2019-01-01 15:04:05.250', EXAMPLE_MS + 250],
    ['ISO 8601 with T and no zone (UTC)', '2019-01-01T15:04:05', EXAMPLE_MS],
    ['ISO 8601 with Z', '2019-01-01T15:04:05Z', EXAMPLE_MS],
    ['ISO 8601 with lower-case z', '2019-01-01t15:04:05z', EXAMPLE_MS],
    ['ISO 8601 with milliseconds (JavaScript toISOString)', '2019-01-01T15:04:05.123Z', EXAMPLE_MS + 123],
    ['ISO 8601 with a positive offset', '2019-01-01T17:04:05+02:00', EXAMPLE_MS],
    ['ISO 8601 with a negative offset', '2019-01-01T10:04:05-05:00', EXAMPLE_MS],
    ['ISO 8601 with a half-hour offset without colon', '2019-01-01T20:34:05+0530', EXAMPLE_MS],
    ['ISO 8601 without seconds', '2019-01-01T15:04Z', EXAMPLE_MS - 5000],
    ['a space and an offset (Python str(datetime))', '2019-01-01 15:04:05+00:00', EXAMPLE_MS],
    ['a space and an hour-only offset (PostgreSQL text)', '2019-01-01 16:04:05+01', EXAMPLE_MS],
    ['epoch seconds as a number', 1546355045, EXAMPLE_MS],
    ['epoch seconds with a fraction', 1546355045.5, EXAMPLE_MS + 500],
    ['epoch seconds as a numeric string', '1546355045', EXAMPLE_MS],
    ['13-digit epoch milliseconds as a number', 1546355045123, EXAMPLE_MS + 123],
    ['13-digit epoch milliseconds as a string', '1546355045123', EXAMPLE_MS + 123],
    ['the first-version example, 1000000000', 1000000000, Date.UTC(2001, 8, 9, 1, 46, 40)],
    ['surrounding spaces', '  2019-01-01 15:04:05 ', EXAMPLE_MS],
    ['a leap day', '2020-02-29 12:00:00', Date.UTC(2020, 1, 29, 12)],
    ['the epoch itself', 0, 0],
  ])('%s', (_name, input, expected) => {
    expect(parseTimestamp(input)).toBe(expected);
  });
});

describe('parseTimestamp: rejections', () => {
  it.each<[string, unknown]>([
    ['February 30th', '2019-02-30 00:00:00'],
    ['February 29th of a common year', '2019-02-29 00:00:00'],
    ['April 31st', '2019-04-31T00:00:00Z'],
    ['month 13', '2019-13-01 00:00:00'],
    ['hour 24', '2019-01-01 24:00:00'],
    ['minute 60', '2019-01-01 15:60:00'],
    ['second 60', '2019-01-01 15:04:60'],
    ['an impossible offset', '2019-01-01T10:00:00+99:99'],
    ['a two-digit-year lookalike (year 99 is not 1999)', '0099-01-01 00:00:00'],
    ['words', 'yesterday'],
    ['a date with slashes', '01/01/2019 15:04:05'],
    ['an empty string', ''],
    ['a negative number', -1],
    ['a negative numeric string', '-1546355045'],
    ['epoch microseconds (16 digits)', 1546355045000000],
    ['epoch seconds 12 digits long (year 5138)', 100000000000],
    ['a far-future date', '2200-01-01 00:00:00'],
    ['a date before 1970', '1969-12-31 23:59:59'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a boolean', true],
    ['null', null],
    ['an object', { seconds: 1546355045 }],
  ])('%s', (_name, input) => {
    expect(parseTimestamp(input)).toBeUndefined();
  });
});

describe('formatTimestamp', () => {
  it('writes "YYYY-MM-DD HH:MM:SS" in UTC, dropping milliseconds', () => {
    expect(formatTimestamp(EXAMPLE_MS)).toBe('2019-01-01 15:04:05');
    expect(formatTimestamp(EXAMPLE_MS + 999)).toBe('2019-01-01 15:04:05');
    expect(formatTimestamp(0)).toBe('1970-01-01 00:00:00');
    expect(formatTimestamp(Date.UTC(2024, 1, 29, 23, 59, 59))).toBe('2024-02-29 23:59:59');
  });

  it('utcDay names the UTC day', () => {
    expect(utcDay(Date.UTC(2019, 0, 1, 23, 59, 59))).toBe('2019-01-01');
  });
});

describe('parseDate', () => {
  it('accepts real YYYY-MM-DD dates and rejects the rest', () => {
    expect(parseDate('2018-11-14')).toBe('2018-11-14');
    expect(parseDate('2018-02-30')).toBeUndefined();
    expect(parseDate('2018-11-14 00:00:00')).toBeUndefined();
    expect(parseDate('14/11/2018')).toBeUndefined();
    expect(parseDate(20181114)).toBeUndefined();
  });
});

describe('round trips (property-based)', () => {
  const seconds = fc.integer({ min: MIN_MS / 1000, max: MAX_MS / 1000 - 1 }).map((s) => s * 1000);

  it('formatTimestamp then parseTimestamp returns the same instant', () => {
    fc.assert(
      fc.property(seconds, (ms) => {
        expect(parseTimestamp(formatTimestamp(ms))).toBe(ms);
      }),
    );
  });

  it('parseTimestamp then formatTimestamp returns the same text', () => {
    fc.assert(
      fc.property(seconds, (ms) => {
        const text = formatTimestamp(ms);
        expect(formatTimestamp(parseTimestamp(text)!)).toBe(text);
      }),
    );
  });

  it('every form of one instant parses to that instant', () => {
    const offsets = fc.integer({ min: -12 * 60, max: 14 * 60 });
    fc.assert(
      fc.property(seconds, offsets, (ms, offset) => {
        const pad = (n: number) => String(Math.abs(n)).padStart(2, '0');
        const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
        const zone = `${offset < 0 ? '-' : '+'}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
        expect(parseTimestamp(`${local}${zone}`)).toBe(ms);
        expect(parseTimestamp(new Date(ms).toISOString())).toBe(ms);
        expect(parseTimestamp(ms / 1000)).toBe(ms);
        expect(parseTimestamp(String(ms / 1000))).toBe(ms);
        if (ms >= 1e12) expect(parseTimestamp(ms)).toBe(ms);
      }),
    );
  });

  it('a calendar date that does not exist never parses', () => {
    const day = fc.record({
      y: fc.integer({ min: 1970, max: 2199 }),
      m: fc.integer({ min: 1, max: 12 }),
      d: fc.integer({ min: 1, max: 31 }),
    });
    fc.assert(
      fc.property(day, ({ y, m, d }) => {
        const exists = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
        const text = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')} 12:00:00`;
        expect(parseTimestamp(text) !== undefined).toBe(exists);
      }),
    );
  });
});
