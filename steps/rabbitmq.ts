/**
 * RabbitMQ user for the OpenStack services. The password never reaches a command line: it is
 * piped (from a shell builtin) to rabbitmqctl, which reads it from stdin when it is not given
 * as an argument (RabbitMQ 3.8 and later), or, on RabbitMQ 3.6 (CentOS 7), read from a root-only
 * file by Erlang code whose command line names only the file. Not with -q: RabbitMQ 4.0's
 * rabbitmqctl waits forever for a password on stdin when quiet (it prints only "Password:").
 */
import { shellQuote } from "../lib/shell";

export type RabbitPasswordMethod = "stdin" | "erlang-file";

export const rabbitPasswordVariable = "RABBIT_PASSWORD";

export function rabbitUserScript(user: string, method: RabbitPasswordMethod): string {
  if (!/^[a-z][a-z0-9_-]{0,63}$/.test(user)) {
    throw new Error(`RabbitMQ user ${JSON.stringify(user)}: expected lower-case letters, digits, "_" and "-"`);
  }
  const name = shellQuote(user);
  const setPassword: Record<RabbitPasswordMethod, string[]> = {
    stdin: [
      `if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx ${name}; then`,
      `  printf '%s\\n' "$${rabbitPasswordVariable}" | rabbitmqctl change_password ${name}`,
      "else",
      `  printf '%s\\n' "$${rabbitPasswordVariable}" | rabbitmqctl add_user ${name}`,
      "fi",
    ],
    "erlang-file": [
      "secret=$(mktemp /root/.rabbit-password.XXXXXX)",
      `trap 'rm -f "$secret"' EXIT`,
      `printf '%s' "$${rabbitPasswordVariable}" >"$secret"`,
      `if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx ${name}; then action=change_password; else action=add_user; fi`,
      `rabbitmqctl -q eval "{ok, P} = file:read_file(\\"$secret\\"), rabbit_auth_backend_internal:$action(<<\\"${user}\\">>, P)."`,
    ],
  };
  return [...setPassword[method], `rabbitmqctl -q set_permissions ${name} '.*' '.*' '.*'`].join("\n");
}
