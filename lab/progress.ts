/**
 * Progress lines with elapsed seconds per stage, for steps that take minutes.
 */

export type Writer = (line: string) => void;

export class Progress {
  private readonly started = Date.now();

  constructor(
    private readonly prefix: string,
    private readonly write: Writer,
  ) {}

  /** Runs one stage, printing when it starts and how long it took (or that it failed). */
  async stage<T>(name: string, body: () => Promise<T>): Promise<T> {
    const stageStart = Date.now();
    this.write(`[${this.prefix}] ${name} ...`);
    try {
      const result = await body();
      this.write(`[${this.prefix}] ${name} done in ${seconds(Date.now() - stageStart)}`);
      return result;
    } catch (error) {
      this.write(`[${this.prefix}] ${name} FAILED after ${seconds(Date.now() - stageStart)}`);
      throw error;
    }
  }

  note(message: string): void {
    this.write(`[${this.prefix}] ${message}`);
  }

  /** Seconds since this progress began, formatted. */
  elapsed(): string {
    return seconds(Date.now() - this.started);
  }
}

export function seconds(milliseconds: number): string {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}
