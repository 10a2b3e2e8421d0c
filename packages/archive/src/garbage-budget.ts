/**
 * Collects garbage after every so many bytes handled.
 *
 * Zipping drops Buffers at the rate data flows (zlib's output, results
 * transferred from the threads and written), and V8 lets each isolate hold
 * ~64 MiB of such external garbage, plus old-generation garbage, before it
 * collects on its own: on a 2 GB tree that was ~70 MiB on the main thread and
 * 30–50 MiB per zip thread at peak (measured with `process.memoryUsage()`).
 * A full GC of these small heaps takes milliseconds, so one per budget of
 * bytes costs little and keeps memory flat whatever the size of the tree.
 *
 * `gc` is exposed at runtime (as `--expose-gc` would) and taken from a fresh
 * context; where that fails, collection is left to V8.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (gc !== undefined) return gc;
  try {
    if (typeof globalThis.gc === 'function') gc = globalThis.gc as () => void;
    else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
  } catch {
    gc = null;
  }
  return gc;
}

export class GarbageBudget {
  private since = 0;

  /** @param everyBytes bytes handled between two collections */
  constructor(private readonly everyBytes: number) {}

  add(bytes: number): void {
    this.since += bytes;
    if (this.since < this.everyBytes) return;
    this.since = 0;
    collector()?.();
  }
}
