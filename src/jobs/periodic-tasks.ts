/** A duty run at start, then every `everyMs`. */
export interface PeriodicTask {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
}

/**
 * The clock of a worker process: runs each task on its interval, never two runs of one task
 * at once; a failed run is reported and the task runs again at its next tick.
 */
export class PeriodicTasks {
  private timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly tasks: readonly PeriodicTask[],
    private readonly onError: (task: string, error: unknown) => void = () => undefined,
  ) {}

  start(): void {
    if (this.timers.length > 0) return;
    // A worker that starts catches up at once: a sync due while no worker ran is queued now.
    void this.runAll();
    this.timers = this.tasks.map((task) => {
      const timer = setInterval(() => void this.runTask(task), task.everyMs);
      timer.unref();
      return timer;
    });
  }

  /** Runs every task once now (and waits): a worker's first round, and tests. */
  async runAll(): Promise<void> {
    await Promise.all(this.tasks.map((task) => this.runTask(task)));
  }

  private runTask(task: PeriodicTask): Promise<void> {
    const busy = this.running.get(task.name);
    if (busy) return busy;
    const run = task
      .run()
      .then(
        () => undefined,
        (error: unknown) => {
          this.onError(task.name, error);
        },
      )
      .finally(() => this.running.delete(task.name));
    this.running.set(task.name, run);
    return run;
  }

  /** Stops the clock and waits for runs in progress. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await Promise.all(this.running.values());
  }
}
