import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What every phase process may answer; each phase script adds its own message types. */
export interface FailedMessage {
  type: 'failed';
  error: string;
}

/**
 * Starts one phase process (a compiled script next to bench/main.js, e.g. `./phase.js`), with
 * its spec as JSON in argv[2]; resolves with it and a reader of its next message. A `failed`
 * message (or the process exiting before its final answer) makes `next` throw.
 */
export function startPhase<M extends { type: string }>(
  script: string,
  label: string,
  spec: unknown,
  /** The answers after which the phase exits by itself. */
  finalTypes: readonly string[] = ['done'],
) {
  const child = fork(fileURLToPath(new URL(`../${script}`, import.meta.url)), [JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const queue: (M | FailedMessage)[] = [];
  let waiting: ((message: M | FailedMessage) => void) | undefined;
  let answered = false;
  const deliver = (message: M | FailedMessage) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w(message);
    } else queue.push(message);
  };
  child.on('message', (message: M | FailedMessage) => {
    deliver(message);
  });
  child.on('exit', (code) => {
    deliver({ type: 'failed', error: `the ${label} phase exited (code ${String(code)}) before answering` });
  });
  const next = async (): Promise<M> => {
    const message = queue.shift() ?? (await new Promise<M | FailedMessage>((resolve) => (waiting = resolve)));
    if (message.type === 'failed') throw new Error(`${label} phase: ${(message as FailedMessage).error}`);
    if (finalTypes.includes(message.type)) answered = true;
    return message as M;
  };
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const finish = async () => {
    // After its answer the phase exits by itself (writing any --cpu-prof); otherwise end it now.
    const timer = setTimeout(
      () => {
        child.kill();
      },
      answered ? 15_000 : 0,
    );
    await exited;
    clearTimeout(timer);
  };
  return { child, next, finish };
}

/** Sends one message to the parent, resolved once it is handed over. */
export function sendToParent(message: object): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send!(message, (error: Error | null) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

/** CPU time (user + system) of this process since `start`, ms. */
export function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}
