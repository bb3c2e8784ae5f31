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
