import { JSON_OPTION, type CommandSpec } from './args.js';
import { withContext } from './context.js';
import { printJson, printLines } from './output.js';

export const migrateCommand: CommandSpec = {
  name: 'migrate',
  summary: 'Apply pending database migrations',
  details: [
    'Every command (and the server) migrates on start; this one only migrates. Running it',
    'again is harmless: it says "database is up to date".',
    'With --json prints {"backend": "sqlite"|"postgres", "applied": ["<migration>", ...]}.',
  ],
  args: [],
  options: { json: JSON_OPTION },
  async run(args) {
    const { backend, applied } = await withContext(({ store, applied }) =>
      Promise.resolve({ backend: store.backend, applied }),
    );
    if (args.flag('json')) {
      printJson({ backend, applied });
    } else if (applied.length === 0) {
      printLines([`${backend}: database is up to date`]);
    } else {
      printLines(applied.map((name) => `${backend}: applied ${name}`));
    }
  },
};
