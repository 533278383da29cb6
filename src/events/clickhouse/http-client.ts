import { chSql, identifier, join, tsvField, type SqlFragment } from './literal.js';

/** A ClickHouse answer other than success, or a shard that could not be reached. */
export class ClickHouseError extends Error {
  override name = 'ClickHouseError';
  constructor(
    message: string,
    /** ClickHouse's error code (`Code: 60` → 60), when the server answered one. */
    readonly code?: number,
  ) {
    super(message);
  }
}

export interface ShardAddress {
  /** The shard's HTTP endpoint without credentials or path, e.g. `http://10.0.0.5:8123`. */
  readonly endpoint: string;
  readonly database: string;
  readonly user?: string;
  readonly password?: string;
}

/**
 * Settings every request carries. All exist in 18.16 and in current releases: 64-bit integers
 * as JSON numbers (our counts and epoch milliseconds stay far below 2^53), and room for the
 * long `IN (…)` lists of a batch's user ids.
 */
const SETTINGS: Readonly<Record<string, string>> = {
  output_format_json_quote_64bit_integers: '0',
  max_query_size: String(16 * 1024 * 1024),
};

/**
 * One shard, spoken to over ClickHouse's HTTP interface with `fetch`. Chosen over
 * `@clickhouse/client` because the subset we use (a statement in the body, TabSeparated in and
 * JSONEachRow out, settings as URL parameters) is the same on 18.16 and 25.x, needs no dependency, and
 * leaves the SQL text (with its literals) in our hands alone.
 */
export class ClickHouseShard {
  readonly #authorization: string | undefined;

  constructor(
    readonly address: ShardAddress,
    private readonly timeoutMs = 60_000,
  ) {
    this.#authorization =
      address.user === undefined
        ? undefined
        : `Basic ${Buffer.from(`${address.user}:${address.password ?? ''}`).toString('base64')}`;
  }

  /** The shard as logs may name it: no credentials. */
  get name(): string {
    return `${this.address.endpoint}/${this.address.database}`;
  }

  /** Runs a statement that returns nothing (DDL, ALTER, INSERT … SELECT). */
  async command(statement: SqlFragment, options: { inDatabase?: boolean } = {}): Promise<void> {
    await this.#request(statement.text, undefined, options.inDatabase ?? true);
  }

  /** Runs a SELECT and returns its rows as objects. */
  async select<T>(statement: SqlFragment): Promise<T[]> {
    const text = await this.#request(`${statement.text}\nFORMAT JSONEachRow`, undefined, true, true);
    const rows: T[] = [];
    for (const line of text.split('\n')) if (line !== '') rows.push(JSON.parse(line) as T);
    return rows;
  }

  /**
   * Inserts rows into a table of the shard's database in one statement. The columns are the
   * first row's keys (every row has the same ones). TabSeparated rather than JSONEachRow: the
   * server parses it without looking names up, a third less CPU on 18.16 (docs/clickhouse.md).
   */
  async insert(table: string, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]!);
    let body = '';
    for (const row of rows) {
      const values = row as Record<string, unknown>;
      for (let i = 0; i < columns.length; i++) body += (i === 0 ? '' : '\t') + tsvField(values[columns[i]!]);
      body += '\n';
    }
    const names = join(columns.map(identifier));
    await this.#request(
      chSql`INSERT INTO ${identifier(table)} (${names}) FORMAT TabSeparated`.text,
      body,
      true,
    );
  }

  /** `SELECT version()`: what the shard runs (e.g. `18.16.1`). */
  async version(): Promise<string> {
    const [row] = await this.select<{ v: string }>(chSql`SELECT version() AS v`);
    return row?.v ?? '';
  }

  /** Reaches the server (the database may not exist yet: the migrations create it). */
  async ping(): Promise<void> {
    await this.#request('SELECT 1', undefined, false, true);
  }

  /**
   * Sends one statement. A read (`retry`) whose connection fails before an answer is sent once
   * more, on a fresh connection: a keep-alive connection the server closed as idle is found
   * closed only when reused, and a busy event loop (a large answer being parsed) can hold the
   * client's own idle timer past the server's. A write is never sent twice: its caller decides.
   */
  async #request(
    query: string,
    body: string | undefined,
    inDatabase: boolean,
    retry = false,
  ): Promise<string> {
    const url = new URL(this.address.endpoint);
    for (const [k, v] of Object.entries(SETTINGS)) url.searchParams.set(k, v);
    if (inDatabase) url.searchParams.set('database', this.address.database);
    // An INSERT's statement travels in the URL and its rows in the body; any other statement in
    // the body, where its length has no URL limit.
    if (body !== undefined) url.searchParams.set('query', query);
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (this.#authorization) headers.authorization = this.#authorization;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers,
        body: body ?? query,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      if (retry && !timedOut) return this.#request(query, body, inDatabase, false);
      const cause =
        error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : '';
      throw new ClickHouseError(`ClickHouse shard ${this.name} is unreachable: ${cause}`);
    }
    const text = await response.text();
    if (!response.ok) {
      const code = /^Code: (\d+)/.exec(text)?.[1];
      throw new ClickHouseError(
        `ClickHouse shard ${this.name} answered ${response.status}: ${text.trim().slice(0, 500)}`,
        code === undefined ? undefined : Number(code),
      );
    }
    return text;
  }
}
