/** How the installer and its commands reach a host of the stack over SSH. */
import type { HostConfig, StackSettings } from "../config/types";
import type { SshEndpoint } from "./ssh";

export function endpointOf(settings: Pick<StackSettings, "sshUser" | "sshPrivateKeyPath">, host: HostConfig): SshEndpoint {
  return {
    hostName: host.name,
    address: host.address,
    port: host.port,
    user: settings.sshUser,
    privateKeyPath: settings.sshPrivateKeyPath,
    hostPublicKey: host.hostPublicKey,
  };
}
