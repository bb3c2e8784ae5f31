/**
 * SSH servers on loopback (ssh2, ephemeral ports) for the client's tests, and ports that answer
 * nothing or never speak.
 */
import { spawn } from "child_process";
import { AddressInfo, createServer, Server as TcpServer } from "net";
import { Server, utils } from "ssh2";

/** What a server saw, counted from its start. */
export interface ServerLog {
  connections: number;
  /** Connections that ended (the client closed them, or they failed). */
  disconnections: number;
  authentications: number;
  commands: string[];
}

export interface LoopbackSshServer {
  readonly port: number;
  readonly log: ServerLog;
  close(): void;
}

function listen(server: Server | TcpServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

export interface SshServerOptions {
  /**
   * Run `/bin/bash -s` for real, on this machine, as the test's user, with the channel as its
   * stdin (a pipe, as sshd gives it): for tests of what the installer's scripts do. Default false.
   */
  readonly runBash?: boolean;
}

/**
 * A server presenting `hostPrivateKey` and accepting `clientPublicKey` alone. Its commands:
 * `echo-stdin` writes stdin back and "done\n" on stderr; `exit N` exits N; `hang` never ends;
 * `/bin/bash -s` with `runBash` runs bash; anything else prints "ran: <command>\n". A shell
 * prints "shell on <TERM>\n" and exits 0.
 */
export async function startSshServer(hostPrivateKey: string, clientPublicKey: string, options: SshServerOptions = {}): Promise<LoopbackSshServer> {
  const log: ServerLog = { connections: 0, disconnections: 0, authentications: 0, commands: [] };
  const allowed = utils.parseKey(clientPublicKey);
  if (allowed instanceof Error) throw allowed;
  const server = new Server({ hostKeys: [hostPrivateKey] }, (client) => {
    log.connections++;
    client
      .on("authentication", (context) => {
        log.authentications++;
        if (context.method === "publickey" && context.key.data.equals(allowed.getPublicSSH())) context.accept();
        else context.reject(["publickey"]);
      })
      .on("ready", () => {
        client.on("session", (accept) => {
          let term = "";
          const session = accept();
          session.on("pty", (acceptPty, _reject, info) => {
            term = info.term;
            acceptPty?.();
          });
          session.on("shell", (acceptShell) => {
            const stream = acceptShell();
            stream.write(`shell on ${term}\n`);
            stream.exit(0);
            stream.end();
          });
          session.on("exec", (acceptExec, _reject, info) => {
            log.commands.push(info.command);
            const stream = acceptExec();
            const exit = /^exit (\d+)$/.exec(info.command);
            if (options.runBash && info.command === "/bin/bash -s") {
              const bash = spawn("/bin/bash", ["-s"], { stdio: ["pipe", "pipe", "pipe"] });
              stream.pipe(bash.stdin).on("error", () => undefined);
              bash.stdout.pipe(stream, { end: false });
              bash.stderr.pipe(stream.stderr, { end: false });
              bash.on("close", (code) => {
                stream.exit(code ?? 255);
                stream.end();
              });
            } else if (info.command === "echo-stdin") {
              const chunks: Buffer[] = [];
              stream.on("data", (chunk: Buffer) => chunks.push(chunk));
              stream.on("end", () => {
                stream.write(Buffer.concat(chunks));
                stream.stderr.write("done\n");
                stream.exit(0);
                stream.end();
              });
            } else if (info.command !== "hang") {
              if (exit === null) stream.write(`ran: ${info.command}\n`);
              stream.exit(exit === null ? 0 : Number(exit[1]));
              stream.end();
            }
          });
        });
      })
      .on("close", () => log.disconnections++)
      .on("error", () => undefined);
  });
  const port = await listen(server);
  return { port, log, close: () => server.close() };
}

/** A port nothing listens on (it did a moment ago): connecting is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server that accepts TCP connections and never says a word: only a timeout ends a wait for it. */
export async function silentServer(): Promise<{ readonly port: number; close(): void }> {
  const server = createServer(() => undefined);
  const port = await listen(server);
  return { port, close: () => server.close() };
}
