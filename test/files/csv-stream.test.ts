import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { csvLines } from '../../src/files/csv-stream.js';

async function read(chunks: string[]) {
  const out: unknown[] = [];
  const input = Readable.from(chunks.map((c) => Buffer.from(c)));
  for await (const line of csvLines(input, (skip) => out.push({ skip }))) out.push(line);
  return out;
}

describe('csvLines', () => {
  it('numbers lines the same whether csv-parse reads from the start or takes over mid-file', async () => {
    // The first chunk has no quote (split directly); the second one does (csv-parse takes over).
    const chunks = ['\uFEFFa,b\n1,2\n\n', '3,"x\ny"\n4,5\n'];
    const expected = [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      { line: 4, fields: ['3', 'x\ny'] },
      { line: 6, fields: ['4', '5'] },
    ];
    expect(await read(chunks)).toEqual(expected);
    expect(await read([chunks.join('')])).toEqual(expected);
    // Character by character: a line completed over many chunks.
    expect(await read(Array.from(chunks.join(''), (c) => c))).toEqual(expected);
  });

  it('reports a record csv-parse skips after taking over with the line of the file', async () => {
    expect(await read(['a,b\n1,2\n', '3,4"x\n'])).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      {
        skip: {
          line: 3,
          message: 'invalid CSV: Invalid Opening Quote: a quote is found on field 1 at line 3, value is "4"',
        },
      },
    ]);
  });

  it('reads a last line without a line feed, multi-byte characters split across chunks and empty lines', async () => {
    const text = 'h,i\n\né,\u{1F600}\n\nz,y';
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 5) chunks.push(bytes.subarray(i, i + 5));
    const out: unknown[] = [];
    for await (const line of csvLines(Readable.from(chunks), () => undefined)) out.push(line);
    expect(out).toEqual([
      { line: 1, fields: ['h', 'i'] },
      { line: 3, fields: ['é', '\u{1F600}'] },
      { line: 5, fields: ['z', 'y'] },
    ]);
  });
});
