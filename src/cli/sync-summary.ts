import type { ImportError } from '../sources/bucket-import.js';
import { clean, table } from './output.js';

interface Summary {
  files_ingested: number;
  records_ingested: number;
  records_already_stored: number;
  records_withheld: number;
  files_failed: number;
  errors: (Omit<ImportError, 'file'> & { file: string | null })[];
}

/** An import's or a sync's counts, then its errors by file and line, as aligned lines. */
export function summaryLines(heading: string, summary: Summary, extra: [string, string][] = []): string[] {
  const lines = [
    heading,
    ...table(
      [
        ...extra,
        ['files ingested', String(summary.files_ingested)],
        ['records ingested', String(summary.records_ingested)],
        ['already stored', String(summary.records_already_stored)],
        // Only when it happened: records of players deleted after their file was written.
        ...(summary.records_withheld > 0
          ? [['withheld (deleted players)', String(summary.records_withheld)] as [string, string]]
          : []),
        ['files failed', String(summary.files_failed)],
      ],
      { indent: '  ', right: [1] },
    ),
  ];
  if (summary.errors.length > 0) {
    lines.push(
      '',
      'Errors:',
      ...table(
        [
          ['FILE', 'LINE', 'FIELD', 'MESSAGE'],
          ...summary.errors.map((e) => [
            e.file === null ? '-' : clean(e.file),
            e.line === null ? '-' : String(e.line),
            e.field ?? '-',
            clean(e.message),
          ]),
        ],
        { indent: '  ' },
      ),
    );
  }
  return lines;
}
