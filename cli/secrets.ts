/**
 * Stack secrets: strong generated passwords for every missing key, stored encrypted in the
 * stack config with `pulumi config set --secret`, the value handed over on stdin.
 */
import { randomInt } from "crypto";
import type { Argv, CommandModule } from "yargs";
import { forbiddenPasswordCharacters, passwordProblem } from "../config/passwords";
import type { CloudPasswords } from "../config/passwords";
import { passwordNames } from "../config/passwords";
import { pulumiOrThrow } from "./pulumiCli";
import { stackOption } from "./stackConfigReader";

const alphanumeric = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
/** Every character that has broken an OpenStack install somewhere: quoting, URLs, oslo.config, SQL, shells. */
const hostileCharacters = `'"$@:/%&=!#;\\ `;

/**
 * A random password of `length` characters for the named password. With `hostile`, at least
 * one of each character of `hostileCharacters` the password may hold, so every deployment proves
 * they survive end to end.
 */
export function generatePassword(name: keyof CloudPasswords, length = 32, hostile = false): string {
  const specials = [...hostileCharacters].filter((character) => !(forbiddenPasswordCharacters[name] ?? "").includes(character));
  for (;;) {
    const characters = Array.from({ length }, () => alphanumeric[randomInt(alphanumeric.length)]);
    if (hostile) {
      const positions = new Set<number>();
      for (const special of specials) {
        let position: number;
        do position = 1 + randomInt(length - 2);
        while (positions.has(position));
        positions.add(position);
        characters[position] = special;
      }
    }
    const password = characters.join("");
    if (passwordProblem(password, name) === undefined) {
      return password;
    }
  }
}

/**
 * The names of the passwords set in a stack. Pulumi lists the keys of a secret object only with
 * --show-secrets; the values stay in this process and are dropped here.
 */
async function existingPasswords(stack: string): Promise<Set<string>> {
  const run = await pulumiOrThrow(["config", "--stack", stack, "--json", "--show-secrets"]);
  const config = JSON.parse(run.stdout || "{}") as Record<string, { objectValue?: Record<string, unknown> }>;
  return new Set(Object.keys(config["nova-installer:passwords"]?.objectValue ?? {}));
}

/** Generates and stores every missing password; returns the names it set. */
export async function initSecrets(stack: string, options: { hostile?: boolean } = {}): Promise<string[]> {
  const present = await existingPasswords(stack);
  const missing = passwordNames.filter((name) => !present.has(name));
  for (const name of missing) {
    await pulumiOrThrow(["config", "set", "--stack", stack, "--secret", "--path", "--raw", `passwords.${name}`], {
      stdin: generatePassword(name, 32, options.hostile ?? false),
    });
  }
  return missing;
}

/** What `secrets init` prints: the names it set, never a value. */
export function secretsInitReport(stack: string, set: readonly string[]): string {
  if (set.length === 0) {
    return `stack ${stack}: every password is already set; nothing changed\n`;
  }
  return `stack ${stack}: generated and stored (encrypted) ${set.length} password${set.length === 1 ? "" : "s"}: ${set.join(", ")}\n`;
}

const initCommand: CommandModule<object, { stack: string; hostile: boolean }> = {
  command: "init",
  describe: "Generate a strong password for every password the stack does not have yet and store it encrypted in the stack config",
  builder: (args) =>
    args
      .option("stack", stackOption)
      .option("hostile", {
        type: "boolean",
        default: false,
        describe: `Put each of the characters ${hostileCharacters} (those a password may hold) in every password, to prove they survive`,
      })
      .example("$0 secrets init --stack prod", "sets the missing passwords; existing ones are kept"),
  handler: async (options) => {
    process.stdout.write(secretsInitReport(options.stack, await initSecrets(options.stack, { hostile: options.hostile })));
  },
};

export const secretsCommand: CommandModule = {
  command: "secrets <command>",
  describe: "The stack's passwords (stored encrypted with pulumi config set --secret)",
  builder: (args: Argv) =>
    args.command(initCommand as unknown as CommandModule).demandCommand(1, "give a secrets command; see nova-installer secrets --help"),
  handler: () => undefined,
};
