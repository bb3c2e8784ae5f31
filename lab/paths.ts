/**
 * Where the lab keeps its files. Pure: the environment is passed in, so tests can vary it.
 *
 * Two roots with different lifetimes:
 * - the image cache, shared by every checkout and lab on the machine, outside the repo because
 *   it is large (about 1 GB) and slow to rebuild;
 * - the lab state (host layers, keys, inventory), per checkout, gone after `lab down`.
 */
import * as path from "path";

type Environment = Readonly<Record<string, string | undefined>>;

/** `${NOVA_INSTALLER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nova-installer}/lab` */
export function labCacheDir(env: Environment): string {
  const explicit = nonEmpty(env.NOVA_INSTALLER_CACHE);
  if (explicit !== undefined) return path.join(explicit, "lab");
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  if (xdg !== undefined) return path.join(xdg, "nova-installer", "lab");
  const home = nonEmpty(env.HOME);
  if (home === undefined) {
    throw new Error("cannot place the lab image cache: NOVA_INSTALLER_CACHE, XDG_CACHE_HOME and HOME are all unset");
  }
  return path.join(home, ".cache", "nova-installer", "lab");
}

/** `${NOVA_INSTALLER_STATE:-<repo>/.state}`: this checkout's state (Pulumi backend, passphrase, lab), as scripts/lib.sh nova_state_dir. */
export function stateRoot(env: Environment, repoRoot: string): string {
  return nonEmpty(env.NOVA_INSTALLER_STATE) ?? path.join(repoRoot, ".state");
}

/** `${NOVA_INSTALLER_STATE:-<repo>/.state}/lab` */
export function labStateDir(env: Environment, repoRoot: string): string {
  return path.join(stateRoot(env, repoRoot), "lab");
}

/** The repository root, found from this file's location (lab/ is one level down). */
export const repoRoot: string = path.resolve(__dirname, "..");

/** Files of one lab under its state directory. */
export interface LabLayout {
  readonly stateDir: string;
  /** Which lab and image the state belongs to; guards against mixing two labs in one dir. */
  readonly labRecord: string;
  readonly inventory: string;
  /** The per-lab client key; the hosts accept root logins with it only. */
  readonly privateKey: string;
  readonly publicKey: string;
  readonly hostsDir: string;
}

export function labLayout(stateDir: string): LabLayout {
  return {
    stateDir,
    labRecord: path.join(stateDir, "lab.json"),
    inventory: path.join(stateDir, "inventory.json"),
    privateKey: path.join(stateDir, "id_ed25519"),
    publicKey: path.join(stateDir, "id_ed25519.pub"),
    hostsDir: path.join(stateDir, "hosts"),
  };
}

/** Files of one host: its overlay directories, the nspawn pid file and console log. */
export interface HostLayout {
  readonly dir: string;
  readonly upper: string;
  readonly work: string;
  readonly merged: string;
  readonly pidFile: string;
  readonly consoleLog: string;
}

export function hostLayout(layout: LabLayout, hostName: string): HostLayout {
  const dir = path.join(layout.hostsDir, hostName);
  return {
    dir,
    upper: path.join(dir, "upper"),
    work: path.join(dir, "work"),
    merged: path.join(dir, "root"),
    pidFile: path.join(dir, "nspawn.pid"),
    consoleLog: path.join(dir, "console.log"),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
