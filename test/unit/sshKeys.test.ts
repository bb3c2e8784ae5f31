/** lib/sshKeys.ts: pinned key lines, the key blobs they stand for, and their fingerprints. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { fingerprint, keyType, publicKeyBlob, publicKeyLine } from "../../lib/sshKeys";
import { testKeyPair, withoutComment } from "../support/sshKeys";

const hostKey = testKeyPair("ed25519", "root@server");
const ecdsaHostKey = testKeyPair("ecdsa", "root@ecdsa-server");

describe("fingerprints of pinned keys", () => {
  it("are OpenSSH's", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fp-"));
    fs.writeFileSync(path.join(dir, "key.pub"), `${hostKey.publicKey}\n`);
    let openssh: string | undefined;
    try {
      openssh = execFileSync("ssh-keygen", ["-l", "-f", path.join(dir, "key.pub")], { encoding: "utf8" }).split(" ")[1];
    } catch {
      openssh = undefined; // ssh-keygen not installed: the format check below still applies.
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
    const ours = fingerprint(publicKeyBlob(hostKey.publicKey));
    expect(ours).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    if (openssh !== undefined) expect(ours).toBe(openssh);
  });

  it("are refused for a malformed pinned key, naming the host", () => {
    expect(() => publicKeyBlob("ssh-ed25519", "compute1")).toThrow(/pinned host key of compute1 is not an OpenSSH public key line/);
    expect(() => publicKeyBlob("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA==", "compute1")).toThrow(/does not start with its type "ssh-rsa"/);
  });
});

describe("OpenSSH key lines from key blobs", () => {
  it("gives back the pinned form of a key, without its comment", () => {
    const blob = publicKeyBlob(hostKey.publicKey);
    expect(keyType(blob)).toBe("ssh-ed25519");
    expect(publicKeyLine(blob)).toBe(withoutComment(hostKey.publicKey));
    expect(publicKeyLine(publicKeyBlob(ecdsaHostKey.publicKey))).toMatch(/^ecdsa-sha2-nistp256 AAAA/);
  });

  it("refuses data that is not a key blob", () => {
    expect(() => keyType(Buffer.from([0, 0, 0, 200, 1, 2]))).toThrow(/not an SSH public key blob/);
    expect(() => keyType(Buffer.alloc(2))).toThrow(/not an SSH public key blob/);
  });
});
