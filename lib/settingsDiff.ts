/**
 * What changed between two versions of a configuration file, setting by setting, with the old
 * and new value of every setting that is not a secret.
 *
 * Which settings are secret is data, never a guess from a value: the keys the installer's own
 * files keep passwords and password-bearing URLs in (`installerSecretKeys`), and whatever the
 * operator marks in `nova-installer:secretSettings`. A secret's values are compared, never returned.
 */
import * as ini from "ini";

/**
 * Keys whose values are secrets in every file the installer writes: passwords, URLs that carry
 * one (the broker's transport_url, database connection strings), shared secrets. A test renders
 * every file of every profile with stand-in passwords and fails when one lands in a key not listed.
 */
export const installerSecretKeys: readonly string[] = [
  "password",
  "transport_url",
  "connection",
  "memcache_secret_key",
  "metadata_proxy_shared_secret",
  "export OS_PASSWORD",
];

/**
 * Which settings are secret: a key in `installerSecretKeys` (in any section), or one the operator
 * marked, as "key" (any section) or "[section] key".
 */
export function secretSettingTest(operatorMarked: readonly string[] = []): (section: string, key: string) => boolean {
  const keys = new Set([...installerSecretKeys, ...operatorMarked.filter((entry) => !entry.startsWith("["))]);
  const qualified = new Set(operatorMarked.filter((entry) => entry.startsWith("[")));
  return (section, key) => keys.has(key) || qualified.has(`[${section}] ${key}`);
}

export interface SettingChange {
  /** "" for keys before the first section. */
  readonly section: string;
  readonly key: string;
  readonly change: "added" | "removed" | "changed";
  /** The value before; undefined for an added or a secret setting. */
  readonly before?: string;
  /** The value after; undefined for a removed or a secret setting. */
  readonly after?: string;
  /** A secret setting: its values are never shown. */
  readonly secret?: boolean;
}

/** `section\0key` -> value as written, for every key of an ini text (sections nested by dots flattened back). */
function flattenIni(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  const walk = (section: string, entries: Record<string, unknown>, topLevel: boolean): void => {
    for (const [key, value] of Object.entries(entries)) {
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        walk(topLevel ? key : `${section}.${key}`, value as Record<string, unknown>, false);
      } else {
        settings.set(`${section}\0${key}`, Array.isArray(value) ? value.map(String).join(", ") : String(value));
      }
    }
  };
  walk("", ini.parse(text), true);
  return settings;
}

/**
 * The settings that differ between two versions of a file, read as ini, with their values unless
 * secret. Default secrecy: `secretSettingTest()` (the installer's own secret keys).
 */
export function settingChanges(oldText: string, newText: string, isSecret = secretSettingTest()): SettingChange[] {
  const before = flattenIni(oldText);
  const after = flattenIni(newText);
  const changes: SettingChange[] = [];
  const entry = (id: string, change: SettingChange["change"], old?: string, value?: string): SettingChange => {
    const [section, key] = id.split("\0");
    return isSecret(section, key) ? { section, key, change, secret: true } : { section, key, change, before: old, after: value };
  };
  for (const [id, value] of after) {
    if (!before.has(id)) changes.push(entry(id, "added", undefined, value));
    else if (before.get(id) !== value) changes.push(entry(id, "changed", before.get(id), value));
  }
  for (const [id, value] of before) {
    if (!after.has(id)) changes.push(entry(id, "removed", value));
  }
  return changes;
}

/** "4.0 -> 3.0", "(absent) -> 8.0", "[secret] changed": what a report shows of a change. */
export function describeChange(change: SettingChange): string {
  if (change.secret === true) return `[secret] ${change.change}`;
  const shown = (value: string | undefined): string => (value === undefined ? "(absent)" : value === "" ? '""' : value);
  return `${shown(change.before)} -> ${shown(change.after)}`;
}

/** "[section] key", or the key alone before the first section. */
export function settingName(change: Pick<SettingChange, "section" | "key">): string {
  return change.section === "" ? change.key : `[${change.section}] ${change.key}`;
}
