// Shared memory is freed only once every isolate that holds it (the host's thread and each worker it was posted to)
// has collected its objects, and V8 counts shared memory toward no isolate's collections, neither where it was made
// nor where it was posted: a process that allocates little JavaScript kept the memory of every fit it ran on workers
// (measured: 40 fits of 48 MiB each, 2 GiB resident; a warm worker that had served 600 fits of 2 MiB, 1.2 GiB). So
// each side counts the shared memory it lets go and, every UNCOLLECTED_LIMIT bytes, makes V8 collect, as V8 does by
// itself for plain memory.

/** Bytes of shared memory let go that may stay uncollected (the external-memory step at which V8 collects). */
const UNCOLLECTED_LIMIT = 64 << 20;
/**
 * An allocation beyond V8's external-memory limit (64 MiB above the level of the last full collection), which makes
 * V8 collect at once. It is never touched, so it never becomes resident.
 */
const COLLECTION_NUDGE = 128 << 20;

/** Counts the shared memory one thread lets go. */
export class SharedMemoryReclaimer {
  private uncollected = 0;

  /** `bytes` of shared memory are no longer used here; every UNCOLLECTED_LIMIT bytes, V8 collects them. */
  released(bytes: number): void {
    this.uncollected += bytes;
    if (this.uncollected < UNCOLLECTED_LIMIT) return;
    this.uncollected = 0;
    try {
      void new ArrayBuffer(COLLECTION_NUDGE).byteLength;
    } catch {
      // A host that refuses the allocation keeps the memories until it collects on its own.
    }
  }
}
