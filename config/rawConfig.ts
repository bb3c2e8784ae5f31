/**
 * How the `nova-installer:*` keys arrive from Pulumi, in one place: the Pulumi program (index.ts)
 * and the operator CLI (which reads `pulumi config --json`) both turn the stored strings into the
 * raw values `resolveStackConfig` validates, so the two can never disagree on a key's type.
 */
import type { RawStackConfig } from "./types";

/** Keys whose values are plain strings. */
export const textConfigKeys = [
  "operatingSystem",
  "openstackRelease",
  "sshUser",
  "sshPrivateKeyPath",
  "region",
  "computeDriver",
  "virtType",
  "guestImage",
] as const;

/** Keys whose values Pulumi stores as JSON (objects, lists, booleans). */
export const jsonConfigKeys = [
  "hosts",
  "prerequisites",
  "refreshPackageIndex",
  "passwords",
  "configOverrides",
  "secretSettings",
  "flavors",
  "apiWorkers",
  "allowDataDestruction",
] as const;

/** Every key the installer reads, without the namespace. */
export const stackConfigKeys: readonly string[] = [...textConfigKeys, ...jsonConfigKeys];

/**
 * The raw value of every key from a reader of the stored strings (undefined: the key is unset).
 * A JSON key whose text is not JSON is passed on as text: validation reports it with the key's name.
 * @param presentNames every key of the namespace the stack sets (without the namespace), so
 *   unknown ones reach validation too. Default: none.
 */
export function rawStackConfig(readText: (name: string) => string | undefined, presentNames: readonly string[] = []): RawStackConfig {
  const raw: Record<string, unknown> = {};
  // Keys the installer does not read are passed on as text, so validation reports them (a typo).
  for (const name of presentNames.filter((candidate) => !stackConfigKeys.includes(candidate))) {
    raw[name] = readText(name);
  }
  for (const name of textConfigKeys) {
    raw[name] = readText(name);
  }
  for (const name of jsonConfigKeys) {
    const text = readText(name);
    try {
      raw[name] = text === undefined ? undefined : JSON.parse(text);
    } catch {
      raw[name] = text;
    }
  }
  return raw;
}
