// A growable FIFO ring buffer: O(1) push and shift, unlike Array.prototype.shift on large arrays.

const MIN_CAPACITY = 16;

export class Ring<T> {
  private buf: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(value: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) & (this.buf.length - 1)] = value;
    this.size++;
  }

  /** Removes and returns the oldest value; `undefined` when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const value = this.buf[this.head];
    this.buf[this.head] = undefined; // let it be collected
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.size--;
    return value;
  }

  clear(): void {
    this.buf = new Array<T | undefined>(MIN_CAPACITY);
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const old = this.buf;
    const mask = old.length - 1;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & mask];
    this.buf = next;
    this.head = 0;
  }
}
