import { ThrottledError } from '../errors.js';

/**
 * Runs at most `max` tasks at once; up to `maxQueued` more wait their turn in arrival order, and
 * any beyond that are refused at once (429). Password hashing is the use: each scrypt takes
 * ~100 ms of a libuv thread and 32 MiB, and those threads also serve file and gzip work, so a
 * burst of sign-ins must not take them all nor grow memory without bound.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly max: number,
    readonly maxQueued: number,
    private readonly busyMessage: string,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.max) {
      this.running++;
    } else {
      if (this.waiting.length >= this.maxQueued) throw new ThrottledError(this.busyMessage, 1);
      // The finishing task hands its slot over: `running` stays the same.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
