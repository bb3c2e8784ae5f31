/**
 * The lab: a local test bed of systemd-nspawn hosts. What other code uses from it.
 */
export type { LabSpec } from "./config";
export { defaultLabSpec, defaultComputeCount } from "./config";
export type { Inventory, InventoryHost } from "./inventory";
export { readInventory, parseInventory, inventoryHost, defaultInventoryPath } from "./inventory";
export type { LabContext, LabStatus, HostStatus } from "./lab";
export { labContext, labUp, labDown, labStatus, labLeftovers } from "./lab";
export type { HostRole, LabHost } from "./network";
export { planHosts } from "./network";
export type { CommandResult, RunOptions as SshRunOptions, SshTarget } from "./ssh";
export { HostKeyMismatchError, SshSession, connectPinned, fingerprint, publicKeyBlob, runCommand, waitForSsh } from "./ssh";
