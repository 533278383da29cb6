/** Printing for humans (aligned text) and for scripts (exactly one JSON document). */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(lines: readonly string[]): void {
  process.stdout.write(lines.map((line) => `${line}\n`).join(''));
}

/**
 * Names and slugs come from whoever called the admin API: control characters in them must
 * not move the terminal's cursor or break the table's lines.
 */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/**
 * Columns padded to their widest cell, two spaces apart, no trailing blanks. Columns listed in
 * `right` (numbers) are right-aligned.
 */
export function table(
  rows: readonly (readonly string[])[],
  { indent = '', right = [] }: { indent?: string; right?: readonly number[] } = {},
): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) => {
    const cells = row.map((cell, i) => {
      const width = widths[i] ?? 0;
      return right.includes(i) ? cell.padStart(width) : cell.padEnd(width);
    });
    return (indent + cells.join('  ')).trimEnd();
  });
}

/** The lines announcing a webhook's signing secret (none when the answer holds no secret). */
export function signingSecretLines(secret: string | undefined): string[] {
  if (secret === undefined) return [];
  return [
    `Signing secret: ${secret}`,
    'It is shown only now: give it to the receiver to verify the Traitforge-Signature header.',
  ];
}
