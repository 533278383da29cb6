import type { Principal } from '../tenancy/tenancy.service.js';
import type { IngestService } from '../ingest/ingest.service.js';
import { BUCKET_ROOT_FOLDERS, classifyKey, ingestFile } from './bucket-file.js';
import { unableToConnect, type ObjectInfo, type ObjectSource } from './object-source.js';

/** A problem a connection test found: the file and line when it is in a file. */
export interface TestProblem {
  file?: string;
  line?: number;
  message: string;
}

export interface ConnectionTest {
  ok: boolean;
  /** Files found under the layout's root folders (counting stops at `MAX_LISTED`). */
  files: number;
  /** Files whose first lines were checked. */
  files_checked: number;
  message: string;
  errors: TestProblem[];
}

const MAX_LISTED = 1000;
/** Files checked per root folder, and lines read from each. */
const SAMPLE_FILES_PER_FOLDER = 3;
const SAMPLE_LINES = 100;
const MAX_PROBLEMS = 50;

/** "line 1: the header has…" → line 1 and the rest. */
function splitLine(message: string): { line?: number; message: string } {
  const match = /^line (\d+): (.*)$/s.exec(message);
  return match ? { line: Number(match[1]), message: match[2]! } : { message };
}

/**
 * Tests a source the way a sync would read it, storing nothing: lists the layout's root
 * folders ("unable to connect" when that fails), then reads the first lines of a few files of
 * each folder and reports unreadable files and invalid rows with their file and line.
 */
export async function testSource(
  source: ObjectSource,
  ingest: IngestService,
  principal: Principal,
): Promise<ConnectionTest> {
  const sample: ObjectInfo[] = [];
  let files = 0;
  try {
    for (const folder of BUCKET_ROOT_FOLDERS) {
      let taken = 0;
      for await (const object of source.list(`${folder}/`)) {
        if (/(^|\/)[_.][^/]*$/.test(object.key)) continue;
        files++;
        if (taken < SAMPLE_FILES_PER_FOLDER) {
          sample.push(object);
          taken++;
        }
        if (files >= MAX_LISTED) break;
      }
      if (files >= MAX_LISTED) break;
    }
  } catch (error) {
    const message = unableToConnect(error);
    return { ok: false, files: 0, files_checked: 0, message, errors: [{ message }] };
  }

  const errors: TestProblem[] = [];
  const problem = (p: TestProblem) => {
    if (errors.length < MAX_PROBLEMS) errors.push(p);
  };
  for (const object of sample) {
    const kind = classifyKey(object.key);
    if (typeof kind === 'string') {
      problem({ file: object.key, message: kind });
      continue;
    }
    try {
      const result = await ingestFile({
        ingest,
        principal,
        kind,
        input: await source.open(object.key),
        dedupeSource: 'connection-test',
        validateOnly: true,
        maxLines: SAMPLE_LINES,
      });
      for (const e of result.errors) {
        problem({
          file: object.key,
          line: e.line,
          message: e.field ? `${e.field}: ${e.message}` : e.message,
        });
      }
    } catch (error) {
      problem({ file: object.key, ...splitLine((error as Error).message) });
    }
  }
  const found = `${files}${files >= MAX_LISTED ? '+' : ''} file${files === 1 ? '' : 's'} found`;
  return {
    ok: errors.length === 0,
    files,
    files_checked: sample.length,
    message:
      errors.length === 0
        ? `connected: ${found}, the first lines of ${sample.length} checked`
        : `connected: ${found}; ${errors.length} problem${errors.length === 1 ? '' : 's'} in the files checked`,
    errors,
  };
}
