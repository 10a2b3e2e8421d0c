/**
 * A small pool of zip threads. Tasks queue FIFO and go to the first idle
 * thread; a thread that dies fails its task and is replaced.
 *
 * Running from TypeScript sources (tests, `tsx`), a thread cannot load a
 * `.ts` file by itself, so it is bootstrapped through tsx's `tsImport`.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ThreadRequest, ThreadResponse, ThreadResultMap, ThreadTask } from './thread-tasks.js';

export interface ThreadPoolOptions {
  /** @defaultValue the number of CPUs the process may use, at most 8 */
  threads?: number;
}

interface Pending {
  task: ThreadTask;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  current: (Pending & { id: number }) | undefined;
  online: Promise<void>;
}

class ThreadTaskError extends Error {
  override name = 'ThreadTaskError';
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

/**
 * A zip thread's JavaScript heap holds little that lives (a task, its
 * result), but zlib's output buffers are garbage that V8 frees at a
 * scavenge, and a large young generation fills rarely: with V8's default the
 * threads sat on some 35 MiB of spent buffers each. A small one (scavenges
 * of a nearly empty space take well under a millisecond) keeps them near
 * what is in use. Measured on the 2 GB bench tree: 240 MB peak RSS with the
 * default, 211 MB with 0.25–3 MiB, 239 MB from 8 MiB up.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 2 };

function spawnThread(): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts'))
    return new Worker(new URL('./zip-thread.js', self), { resourceLimits: THREAD_LIMITS });
  const target = new URL('./zip-thread.ts', self).href;
  const tsxRoot = path.dirname(createRequire(fileURLToPath(self)).resolve('tsx/package.json'));
  const api = pathToFileURL(path.join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  const code = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(target)}, ${JSON.stringify(target)}))`;
  return new Worker(code, { eval: true, resourceLimits: THREAD_LIMITS });
}

export function defaultThreadCount(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

export class ThreadPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Written output buffers, to be handed to the threads again. */
  private readonly spares: ArrayBuffer[] = [];

  constructor(options: ThreadPoolOptions = {}) {
    this.size = options.threads ?? defaultThreadCount();
    for (let i = 0; i < this.size; i += 1) this.slots.push(this.startSlot());
  }

  run<K extends ThreadTask['kind']>(
    task: Extract<ThreadTask, { kind: K }>,
  ): Promise<ThreadResultMap[K]> {
    if (this.closed) return Promise.reject(new ThreadTaskError('the zip thread pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  /** Resolves once every thread has started (the benchmark waits for this before timing). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.online));
  }

  /**
   * Gives an output buffer whose bytes have been written back to the pool:
   * the next deflate task takes it to its thread, which builds its result
   * in it instead of in a new buffer. At most a few are kept.
   */
  recycle(buffer: ArrayBufferLike): void {
    if (this.closed || !(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
    if (this.spares.length < this.size * 3) this.spares.push(buffer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.queue.splice(0))
      p.reject(new ThreadTaskError('the zip thread pool was closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private startSlot(): Slot {
    const worker = spawnThread();
    const slot: Slot = {
      worker,
      current: undefined,
      // Settles on exit too: a thread that fails to start is replaced, not waited for.
      online: new Promise((resolve) => {
        worker.once('online', () => resolve());
        worker.once('exit', () => resolve());
      }),
    };
    slot.worker.on('message', (msg: ThreadResponse) => this.settle(slot, msg));
    slot.worker.on('error', (err) => this.replace(slot, err));
    slot.worker.on('exit', (code) => {
      if (!this.closed) this.replace(slot, new Error(`zip thread exited with code ${code}`));
    });
    return slot;
  }

  private settle(slot: Slot, msg: ThreadResponse): void {
    const current = slot.current;
    if (!current || current.id !== msg.id) return;
    slot.current = undefined;
    if (msg.ok) current.resolve(msg.result);
    else current.reject(new ThreadTaskError(msg.error.message, msg.error.code));
    this.dispatch();
  }

  private replace(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0 || this.closed) return;
    slot.current?.reject(new ThreadTaskError(`zip thread failed: ${err.message}`));
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    this.slots[index] = this.startSlot();
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.current) continue;
      const next = this.queue.shift();
      if (!next) return;
      slot.current = { ...next, id: this.nextId++ };
      const output = next.task.kind.startsWith('deflate') ? this.spares.pop() : undefined;
      slot.worker.postMessage(
        { id: slot.current.id, task: next.task, output } satisfies ThreadRequest,
        output ? [output] : [],
      );
    }
  }
}
