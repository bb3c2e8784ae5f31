/**
 * What this machine needs before it can run a lab, checked up front so that a missing tool
 * fails with the fix instead of half-way through a build.
 */
import * as path from "path";
import { haveProgram, run } from "./exec";
import { repoRoot } from "./paths";

/** Programs the lab runs, with the Debian package that provides each. */
const requiredPrograms: readonly { readonly program: string; readonly debianPackage: string }[] = [
  { program: "debootstrap", debianPackage: "debootstrap" },
  { program: "systemd-nspawn", debianPackage: "systemd-container" },
  { program: "ssh-keygen", debianPackage: "openssh-client" },
  { program: "ip", debianPackage: "iproute2" },
  { program: "chroot", debianPackage: "coreutils" },
  { program: "mount", debianPackage: "mount" },
];

export const prereqsScript = path.join(repoRoot, "scripts", "lab-prereqs.sh");

async function missingPrograms(): Promise<string[]> {
  const missing: string[] = [];
  for (const { program } of requiredPrograms) {
    if (!(await haveProgram(program))) missing.push(program);
  }
  return missing;
}

/**
 * Fails unless running as root; installs missing programs with scripts/lab-prereqs.sh.
 * @throws Error telling what to run when something is still missing.
 */
export async function ensurePrereqs(write: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error("the lab needs root (it mounts overlays, creates a bridge and runs systemd-nspawn); run it as root");
  }
  let missing = await missingPrograms();
  if (missing.length === 0) return;
  write(`[lab] missing ${missing.join(", ")}; running ${prereqsScript}`);
  await run("bash", [prereqsScript], { allowFailure: true });
  missing = await missingPrograms();
  if (missing.length > 0) {
    throw new Error(`the lab needs ${missing.join(", ")}, still missing after ${prereqsScript}: run it and check its output`);
  }
}
