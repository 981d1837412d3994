/**
 * Runs asynchronous tasks one after another in submission order, so a stroke, the undo pressed
 * right after it and the next stroke reach the server in the order the user made them.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private count = 0;
  private readonly listeners = new Set<(pending: number) => void>();

  /** Tasks submitted and not finished yet. */
  get pending(): number {
    return this.count;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.setCount(this.count + 1);
    const result = this.tail.then(task);
    this.tail = result.then(
      () => this.setCount(this.count - 1),
      () => this.setCount(this.count - 1),
    );
    return result;
  }

  /** Resolves when every task submitted so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }

  subscribe(listener: (pending: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setCount(n: number): void {
    this.count = n;
    for (const l of this.listeners) l(n);
  }
}
