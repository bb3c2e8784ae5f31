/**
 * SSH keys made with the machine's ssh-keygen: the per-lab client key and each host's key.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { run } from "./exec";

export interface KeyPair {
  readonly privateKey: string;
  /** One OpenSSH line, "ssh-ed25519 AAAA... comment". */
  readonly publicKey: string;
}

/** Generates an ed25519 key pair in a private temporary directory and returns its text. */
async function generateKeyPair(comment: string): Promise<KeyPair> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nova-lab-key-"));
  try {
    const file = path.join(dir, "key");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
    return { privateKey: fs.readFileSync(file, "utf8"), publicKey: fs.readFileSync(`${file}.pub`, "utf8").trim() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The lab's client key at `privateKeyPath` (+ ".pub"), generated the first time. */
export async function ensureClientKey(privateKeyPath: string, comment: string): Promise<KeyPair> {
  const publicKeyPath = `${privateKeyPath}.pub`;
  if (!fs.existsSync(privateKeyPath) || !fs.existsSync(publicKeyPath)) {
    const pair = await generateKeyPair(comment);
    fs.mkdirSync(path.dirname(privateKeyPath), { recursive: true });
    fs.writeFileSync(privateKeyPath, pair.privateKey, { mode: 0o600 });
    fs.writeFileSync(publicKeyPath, `${pair.publicKey}\n`, { mode: 0o644 });
  }
  return {
    privateKey: fs.readFileSync(privateKeyPath, "utf8"),
    publicKey: fs.readFileSync(publicKeyPath, "utf8").trim(),
  };
}

/**
 * The host key in a host's root (`<root>/etc/ssh/ssh_host_ed25519_key`), generated on this
 * machine and written into the layer the first time; kept across restarts so the pinned key in
 * the inventory stays valid.
 */
export async function ensureHostKey(root: string, hostName: string): Promise<string> {
  const privateKeyPath = path.join(root, "etc/ssh/ssh_host_ed25519_key");
  const publicKeyPath = `${privateKeyPath}.pub`;
  if (!fs.existsSync(privateKeyPath) || !fs.existsSync(publicKeyPath)) {
    const pair = await generateKeyPair(`root@${hostName}`);
    fs.writeFileSync(privateKeyPath, pair.privateKey, { mode: 0o600 });
    fs.writeFileSync(publicKeyPath, `${pair.publicKey}\n`, { mode: 0o644 });
  }
  return fs.readFileSync(publicKeyPath, "utf8").trim();
}
