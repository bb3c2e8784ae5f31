/**
 * A minimal client of QMP, QEMU's machine protocol (docs/interop/qmp-spec in QEMU), over a Unix
 * socket: JSON messages one a line; QEMU greets with {"QMP": ...}, the client must send
 * `qmp_capabilities` before any other command, each command gets a {"return": ...} or
 * {"error": ...} in order, and {"event": ...} messages come in between at any time.
 *
 * The boot check uses it to press the ACPI power button (`system_powerdown`, what libvirt's
 * virDomainShutdown does for Nova) and to read how QEMU ended (its SHUTDOWN event).
 */
import * as net from "net";

export interface QmpEvent {
  readonly event: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export type QmpMessage =
  | { readonly kind: "greeting" }
  | { readonly kind: "return"; readonly value: unknown }
  | { readonly kind: "error"; readonly errorClass: string; readonly description: string }
  | ({ readonly kind: "event" } & QmpEvent);

/**
 * The complete messages at the start of `buffered` (text read from the socket) and the text
 * after them, the start of a message still arriving. Pure.
 * @throws Error quoting a line that is not a QMP message.
 */
export function parseQmpMessages(buffered: string): { messages: QmpMessage[]; rest: string } {
  const lines = buffered.split("\n");
  const rest = lines.pop() ?? "";
  const messages = lines
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line): QmpMessage => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`QMP sent a line that is not JSON: ${line.slice(0, 200)}`);
      }
      if ("QMP" in parsed) return { kind: "greeting" };
      if ("return" in parsed) return { kind: "return", value: parsed.return };
      if ("error" in parsed) {
        const error = (parsed.error ?? {}) as { class?: string; desc?: string };
        return { kind: "error", errorClass: error.class ?? "(none)", description: error.desc ?? "(none)" };
      }
      if (typeof parsed.event === "string") {
        const data = parsed.data as Record<string, unknown> | undefined;
        return data === undefined ? { kind: "event", event: parsed.event } : { kind: "event", event: parsed.event, data };
      }
      throw new Error(`QMP sent a message that is no greeting, return, error nor event: ${line.slice(0, 200)}`);
    });
  return { messages, rest };
}

/**
 * The reason of the last SHUTDOWN event, e.g. "guest-shutdown" (the guest powered itself off)
 * or "host-signal" (QEMU was killed), or undefined without one. Pure.
 */
export function shutdownReason(events: readonly QmpEvent[]): string | undefined {
  const shutdown = events.filter((event) => event.event === "SHUTDOWN").at(-1);
  const reason = shutdown?.data?.reason;
  return typeof reason === "string" ? reason : undefined;
}

type Answer =
  { readonly kind: "return"; readonly value: unknown } | { readonly kind: "error"; readonly errorClass: string; readonly description: string };

/** An open QMP session, capabilities negotiated. */
export class QmpConnection {
  /** Every event QEMU sent so far. */
  readonly events: QmpEvent[] = [];
  /** Settles once the socket is closed (QEMU exited, or `close()`), all its messages read. */
  readonly closed: Promise<void>;
  private readonly waiting: ((answer: Answer | Error) => void)[] = [];
  private buffered = "";
  private failure: Error | undefined;

  private constructor(
    private readonly socket: net.Socket,
    path: string,
  ) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.setEncoding("utf8").on("data", (chunk: string) => this.receive(chunk));
    socket.on("error", (error) => this.fail(new Error(`QMP socket ${path}: ${error.message}`)));
    socket.on("close", () => this.fail(new Error(`QMP socket ${path} closed (QEMU exited?)`)));
  }

  /**
   * Connects to QEMU's QMP socket at `path` and negotiates capabilities.
   * @throws Error naming the socket when it cannot be reached or QEMU refuses.
   */
  static async open(path: string): Promise<QmpConnection> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const connecting = net.createConnection(path);
      connecting.once("connect", () => resolve(connecting));
      connecting.once("error", (error) => reject(new Error(`cannot connect to QEMU's QMP socket ${path}: ${error.message}`)));
    });
    const connection = new QmpConnection(socket, path);
    try {
      // The greeting comes unasked: it is the first answer waited for.
      await connection.answer();
      await connection.execute("qmp_capabilities");
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  /**
   * Runs a QMP command and returns its result.
   * @throws Error with QEMU's error class and description when it refuses the command.
   */
  async execute(command: string, args?: Readonly<Record<string, unknown>>): Promise<unknown> {
    const answered = this.answer();
    this.socket.write(`${JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args })}\n`);
    const answer = await answered;
    if (answer.kind === "error") throw new Error(`QMP ${command} failed: ${answer.errorClass}: ${answer.description}`);
    return answer.value;
  }

  close(): void {
    this.socket.destroy();
  }

  private answer(): Promise<Answer> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push((answer) => (answer instanceof Error ? reject(answer) : resolve(answer))));
  }

  private receive(chunk: string): void {
    let parsed: ReturnType<typeof parseQmpMessages>;
    try {
      parsed = parseQmpMessages(this.buffered + chunk);
    } catch (error) {
      this.fail(error as Error);
      this.socket.destroy();
      return;
    }
    this.buffered = parsed.rest;
    for (const message of parsed.messages) {
      if (message.kind === "event") {
        this.events.push(message.data === undefined ? { event: message.event } : { event: message.event, data: message.data });
      } else {
        this.waiting.shift()?.(message.kind === "greeting" ? { kind: "return", value: {} } : message);
      }
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.splice(0)) waiter(this.failure);
  }
}
