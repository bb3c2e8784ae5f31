/** Starting services and waiting, bounded, until they answer. */
import { shellQuote } from "../lib/shell";

export interface TcpCheck {
  readonly host: string;
  readonly port: number;
}

export interface StartServicesOptions {
  /** Commands run first (package defaults the units read, say). */
  readonly setup?: readonly string[];
  /** TCP ports that must accept connections once the services are up. */
  readonly listening?: readonly TcpCheck[];
  /** Stop and disable the units when the step is removed from the stack. Default false (they keep running). */
  readonly stopOnDelete?: boolean;
  /** Restart units that run already (false: only start what does not run). Default true. */
  readonly restart?: boolean;
  /** How long to wait for each check. Default 120 s. */
  readonly timeoutSeconds?: number;
}

/**
 * Enables the units and restarts them (a unit the package started with its packaged
 * configuration must pick up the installer's), then waits until each is active and each port
 * accepts connections. A unit that fails its first start (a busy host, a dependency still
 * warming up) is given the wait to come back through its own Restart= policy, or is started
 * again, before the step fails with its status.
 */
export function startServicesScript(units: readonly string[], options: StartServicesOptions = {}): string {
  const timeout = options.timeoutSeconds ?? 120;
  const quoted = units.map(shellQuote).join(" ");
  const lines = [
    ...(options.setup ?? []),
    `systemctl enable -q ${quoted}`,
    `systemctl ${options.restart === false ? "start" : "restart"} ${quoted} || true`,
    `for unit in ${quoted}; do`,
    `  for attempt in $(seq ${timeout}); do`,
    '    systemctl is-active -q "$unit" && break',
    '    if systemctl is-failed -q "$unit"; then systemctl reset-failed "$unit"; systemctl start --no-block "$unit" || true; fi',
    "    sleep 1",
    "  done",
    `  systemctl is-active -q "$unit" || { systemctl status --no-pager "$unit" >&2 || true; echo "$unit is not active after ${timeout} s" >&2; exit 1; }`,
    "done",
  ];
  for (const check of options.listening ?? []) {
    const target = `${check.host}:${check.port}`;
    lines.push(
      `for attempt in $(seq ${timeout}); do timeout 2 bash -c ${shellQuote(`</dev/tcp/${check.host}/${check.port}`)} 2>/dev/null && break; sleep 1; done`,
      `timeout 2 bash -c ${shellQuote(`</dev/tcp/${check.host}/${check.port}`)} 2>/dev/null || { echo "nothing accepts connections on ${target} after ${timeout} s" >&2; exit 1; }`,
    );
  }
  return lines.join("\n");
}

/**
 * Stops the units and keeps them from starting at boot (a host leaving the stack). A unit whose
 * process exits uncleanly on the stop asked for (nova-compute's eventlet shutdown can end in an
 * AssertionError, exit code 1) is not left "failed" in the host's monitoring.
 */
export function stopServicesScript(units: readonly string[]): string {
  const quoted = units.map(shellQuote).join(" ");
  return [`systemctl disable --now ${quoted}`, `systemctl reset-failed ${quoted} 2>/dev/null || true`].join("\n");
}
