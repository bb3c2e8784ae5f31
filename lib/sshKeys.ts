/** OpenSSH public keys: the key blob a pinned key stands for, and its fingerprint. */
import { createHash } from "crypto";

/**
 * The key blob of an OpenSSH public key line (what the server presents during key exchange).
 * @throws Error naming the label when the line is not "<type> <base64> [comment]".
 */
export function publicKeyBlob(publicKeyLine: string, label = "host"): Buffer {
  const [type, base64] = publicKeyLine.trim().split(/\s+/);
  if (type === undefined || base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new Error(`pinned host key of ${label} is not an OpenSSH public key line: "${publicKeyLine}"`);
  }
  const blob = Buffer.from(base64, "base64");
  // The blob starts with its own type name; a mismatch means a corrupted or mislabelled key.
  const innerLength = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  if (innerLength <= 0 || blob.subarray(4, 4 + innerLength).toString("latin1") !== type) {
    throw new Error(`pinned host key of ${label} is malformed: its data does not start with its type "${type}"`);
  }
  return blob;
}

/** OpenSSH-style SHA256 fingerprint of a key blob ("SHA256:..."). */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/**
 * The key type a key blob names itself ("ssh-ed25519", "ssh-rsa", ...): a blob is self-describing,
 * so the type of a presented key never has to be guessed from the negotiated algorithm.
 * @throws Error when the blob does not start with a type name
 */
export function keyType(blob: Buffer): string {
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const type = length > 0 && 4 + length <= blob.length ? blob.subarray(4, 4 + length).toString("latin1") : "";
  if (!/^[a-z0-9@.-]+$/.test(type)) {
    throw new Error("not an SSH public key blob: it does not start with a key type name");
  }
  return type;
}

/** The OpenSSH public key line of a key blob, without comment: "<type> <base64>" (what a stack pins). */
export function publicKeyLine(blob: Buffer): string {
  return `${keyType(blob)} ${blob.toString("base64")}`;
}
