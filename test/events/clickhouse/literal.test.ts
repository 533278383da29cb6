import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateShards } from '../../../src/events/clickhouse/migrate.js';
import {
  chSql,
  identifier,
  inList,
  join,
  literal,
  numberLiteral,
  stringLiteral,
  tsvField,
} from '../../../src/events/clickhouse/literal.js';
import { CLICKHOUSE_URLS, createTestClickHouse } from '../../support/clickhouse.js';

describe('ClickHouse literals', () => {
  it('escapes the quote, the backslash and control characters, nothing else', () => {
    expect(stringLiteral("it's")).toBe("'it\\'s'");
    expect(stringLiteral('a\\b')).toBe("'a\\\\b'");
    expect(stringLiteral('a\nb\u0000')).toBe("'a\\x0ab\\x00'");
    expect(stringLiteral('é😀')).toBe("'é😀'");
  });

  it('writes numbers exactly and refuses what is not one', () => {
    expect(numberLiteral(42)).toBe('42');
    expect(numberLiteral(-3)).toBe('(-3)');
    expect(numberLiteral(0.1)).toBe('0.1');
    expect(numberLiteral(5e-324)).toMatch(/^\(.* \* .*\)$/);
    expect(numberLiteral(12345678901234567890n)).toBe('12345678901234567890');
    expect(() => numberLiteral(Number.NaN)).toThrow(RangeError);
    expect(() => numberLiteral(Infinity)).toThrow(RangeError);
  });

  it('writes null, booleans and arrays; interpolates values as literals and fragments verbatim', () => {
    expect(literal(null)).toBe('NULL');
    expect(literal(true)).toBe('1');
    expect(literal(['a', 1, null])).toBe("['a', 1, NULL]");
    const evil = "x' OR 1=1 --";
    expect(chSql`SELECT * FROM ${identifier('t')} WHERE a = ${evil} AND b IN ${[1, 2]}`.text).toBe(
      "SELECT * FROM t WHERE a = 'x\\' OR 1=1 --' AND b IN [1, 2]",
    );
    expect(join([identifier('a'), 'b']).text).toBe("a, 'b'");
    expect(inList(['a', 2]).text).toBe("('a', 2)");
    expect(() => inList([])).toThrow(RangeError);
  });

  it('writes TabSeparated fields: NULL as \\N, the row-breaking characters escaped, numbers as JSON', () => {
    expect(tsvField(null)).toBe('\\N');
    expect(tsvField(undefined)).toBe('\\N');
    expect(tsvField('\\N')).toBe('\\\\N');
    expect(tsvField('a\tb\nc\rd\u0000e\\f')).toBe('a\\tb\\nc\\rd\\0e\\\\f');
    expect(tsvField("it's é😀")).toBe("it's é😀");
    expect(tsvField(0.1)).toBe('0.1');
    expect(tsvField(-3)).toBe('-3');
    expect(tsvField(Number.NaN)).toBe('\\N');
    expect(tsvField(true)).toBe('1');
    expect(() => tsvField({})).toThrow(TypeError);
  });

  it('refuses identifiers that are not plain names', () => {
    expect(identifier('events_actions').text).toBe('events_actions');
    for (const bad of ['', '1a', 'a b', 'a`b', 'a;DROP', 'é'])
      expect(() => identifier(bad), bad).toThrow(RangeError);
  });
});

describe.skipIf(CLICKHOUSE_URLS.length === 0)('ClickHouse literals read back by the server', () => {
  const cluster = CLICKHOUSE_URLS.length > 0 ? createTestClickHouse() : undefined;
  const shard = cluster?.shards[0];
  beforeAll(() => migrateShards(cluster!.shards));
  afterAll(() => cluster?.drop());

  it('round-trips arbitrary strings through a SELECT', async () => {
    const strings = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({
        unit: fc.constantFrom('\\', "'", '"', '`', '\n', '\r', '\t', '\u0000', '\u007f', 'x', '?', '{', '}'),
        maxLength: 30,
      }),
    );
    // Several values per query: a statement per string would make the property slow.
    await fc.assert(
      fc.asyncProperty(fc.array(strings, { minLength: 1, maxLength: 20 }), async (values) => {
        const columns = join(values.map((v, i) => chSql`${v} AS ${identifier(`c${i}`)}`));
        const [row] = await shard!.select<Record<string, string>>(chSql`SELECT ${columns}`);
        expect(values.map((_, i) => row![`c${i}`])).toEqual(values);
      }),
      { numRuns: 40 },
    );
  });

  it('round-trips finite numbers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.maxSafeInteger(),
            fc.constant(5e-324),
          ),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        async (values) => {
          const columns = join(values.map((v, i) => chSql`toFloat64(${v}) AS ${identifier(`c${i}`)}`));
          const [row] = await shard!.select<Record<string, number>>(chSql`SELECT ${columns}`);
          // JSON has no negative zero: ClickHouse writes -0 as 0 (or -0), equal either way.
          expect(values.map((_, i) => row![`c${i}`]! + 0)).toEqual(values.map((v) => v + 0));
        },
      ),
      { numRuns: 40 },
    );
  });

  // Rows reach the event tables as TabSeparated (ClickHouseShard.insert): every string and number
  // must come back as sent, NULL as NULL.
  it('round-trips strings, NULLs and numbers through an INSERT', async () => {
    await shard!.command(
      chSql`CREATE TABLE tsv_round_trip (n UInt32, s Nullable(String), f Nullable(Float64), i Int64) ENGINE = Memory`,
    );
    const strings = fc.oneof(
      fc.constant(null),
      fc.constant('\\N'),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({
        unit: fc.constantFrom('\\', "'", '"', '\n', '\r', '\t', '\u0000', '\u007f', 'N', 'x', ','),
        maxLength: 30,
      }),
    );
    const rows = fc.array(
      fc.record({
        s: strings,
        // Amounts as events carry them: 18.16 reads a float of 17 significant digits to a
        // neighbouring double in any input format (JSONEachRow too), see docs/clickhouse.md.
        f: fc.oneof(
          fc.constant(null),
          fc.integer({ min: -1e12, max: 1e12 }).map((cents) => cents / 100),
        ),
        i: fc.maxSafeInteger(),
      }),
      { minLength: 1, maxLength: 20 },
    );
    await fc.assert(
      fc.asyncProperty(rows, async (sent) => {
        await shard!.command(chSql`TRUNCATE TABLE tsv_round_trip`);
        await shard!.insert(
          'tsv_round_trip',
          sent.map((row, n) => ({ n, ...row })),
        );
        const back = await shard!.select<{ s: string | null; f: number | null; i: number }>(
          chSql`SELECT s, f, i FROM tsv_round_trip ORDER BY n`,
        );
        // JSON has no negative zero: -0 reads back as 0, equal to it.
        const plain = (r: { s: string | null; f: number | null; i: number }) => ({
          ...r,
          f: r.f === null ? null : r.f + 0,
        });
        expect(back.map(plain)).toEqual(sent.map(plain));
      }),
      { numRuns: 30 },
    );
  });
});
