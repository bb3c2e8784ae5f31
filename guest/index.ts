/**
 * The test guest: a Debian kernel and a busybox initramfs that prove a boot on the serial port
 * and power off on the ACPI power button.
 * What other code uses from it.
 */
export type { GuestRecipe, InitramfsEntry, Marker } from "./recipe";
export { findMarker, guestImageCacheDir, guestImageKey, guestRecipe, kernelCommandLine, markerFor, markerPrefix } from "./recipe";
export type { GuestImage, GuestImageManifest } from "./manifest";
export { inspectGuestImage } from "./manifest";
export { ensureGuestImage, findGuestImage } from "./image";
export type { Accelerator, BootOptions, BootResult, DirectBoot, PowerOffResult } from "./boot";
export { bootGuest, detectAccelerator, kvmOpens, qemuDirectBootArguments } from "./boot";
export type { GlanceImageEntry, GlanceImageSpec, GuestGlanceImages, GuestImageRegistration } from "./glance";
export { guestGlanceImages, guestImageName, guestImageRegistration, guestRootImageProperties, guestUploadDirectory } from "./glance";
