/**
 * SSH key pairs for tests, made with ssh2's generator.
 *
 * That generator writes an ed25519 key whose public half starts with a zero byte one key in a
 * hundred and some, with that byte dropped: ssh2's own parser then refuses the key ("Malformed
 * OpenSSH private key") and a test server built on it never starts. Such pairs are made again.
 */
import { utils } from "ssh2";
import { fingerprint, publicKeyBlob } from "../../lib/sshKeys";

export interface TestKeyPair {
  readonly privateKey: string;
  /** One OpenSSH line, "ssh-ed25519 AAAA... comment". */
  readonly publicKey: string;
}

export function testKeyPair(type: "ed25519" | "ecdsa", comment: string): TestKeyPair {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const pair = type === "ecdsa" ? utils.generateKeyPairSync("ecdsa", { bits: 256, comment }) : utils.generateKeyPairSync("ed25519", { comment });
    if (!(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error)) {
      return { privateKey: pair.private, publicKey: pair.public.trim() };
    }
  }
  throw new Error(`ssh2 made 20 ${type} key pairs it cannot read back`);
}

/** The fingerprint of an OpenSSH public key line, as `ssh-keygen -l` prints it. */
export function fingerprintOf(publicKey: string): string {
  return fingerprint(publicKeyBlob(publicKey));
}

/** An OpenSSH public key line without its comment: the form a host presents and a stack pins. */
export function withoutComment(publicKey: string): string {
  return publicKey.split(" ").slice(0, 2).join(" ");
}
