/**
 * Shell quoting, in one place: every value interpolated into a remote script goes through
 * `shellQuote`, so hostnames, passwords and region names cannot break out of their word.
 */

/** Quotes a value as one POSIX shell word. NUL cannot be passed through any shell and is rejected. */
export function shellQuote(value: string): string {
  if (value.includes("\0")) {
    throw new Error("a shell argument cannot contain a NUL character");
  }
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Shell variable names the scripts may define: upper-case letters, digits and underscores. */
const variableName = /^[A-Z_][A-Z0-9_]*$/;

/** `NAME='value'` lines (not exported) for a map of variables, sorted by name for stable output. */
export function shellAssignments(variables: Readonly<Record<string, string>>): string {
  return Object.keys(variables)
    .sort()
    .map((name) => {
      if (!variableName.test(name)) {
        throw new Error(`invalid shell variable name "${name}": expected upper-case letters, digits and underscores`);
      }
      return `${name}=${shellQuote(variables[name])}\n`;
    })
    .join("");
}
