import type { CommandSpec } from './args.js';
import { withContext } from './context.js';

/** Resolves at the first SIGTERM or SIGINT. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => {
      resolve('SIGTERM');
    });
    process.once('SIGINT', () => {
      resolve('SIGINT');
    });
  });
}

export const workerCommand: CommandSpec = {
  name: 'worker',
  summary: 'Run the background work without the HTTP server (for production)',
  details: [
    'Runs durable jobs (CSV ingestions, storage syncs, notification deliveries), Forge',
    'webhook deliveries, the sync schedule and the sweep of abandoned uploads, on the database',
    'the TRAITFORGE_* variables name. Start as many as you like, on any machine: each job runs',
    'on one worker at a time (leases), and a worker that dies leaves its job to another once',
    'the lease (TRAITFORGE_JOB_LEASE_MS) expires; the job resumes from its last checkpoint.',
    'Run the API with TRAITFORGE_WORKERS=false to leave this work to the workers.',
    'Stops on SIGTERM or Ctrl-C: the job in progress stops at its next step and is queued again.',
  ],
  args: [],
  options: {},
  async run() {
    await withContext(async ({ config, store, services }) => {
      const stopped = stopSignal();
      // The workers' timers do not hold the process open (the server's socket does that for
      // `npm start`); here nothing else would, and Node would exit at once.
      const alive = setInterval(() => undefined, 60_000);
      services.workers.start();
      process.stderr.write(
        `traitforge worker: running on ${store.backend} (job lease ${config.jobLeaseMs} ms); stop with SIGTERM or Ctrl-C\n`,
      );
      const signal = await stopped;
      process.stderr.write(`traitforge worker: ${signal}: finishing the current step\n`);
      await services.workers.stop();
      clearInterval(alive);
      process.stderr.write('traitforge worker: stopped\n');
    });
  },
};
