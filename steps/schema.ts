/** Commands run as a service's own user, as the guide runs its schema migrations. */
import { shellQuote } from "../lib/shell";

/**
 * A command line run as a system user (whose login shell is nologin). `words` are shell words,
 * already quoted where needed, so a caller can pass "$variable" through.
 */
export function asServiceUser(user: string, words: readonly string[]): string {
  return `runuser -u ${shellQuote(user)} -- ${words.join(" ")}`;
}
