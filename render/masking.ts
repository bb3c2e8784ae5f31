/**
 * Files shown without their passwords: rendered with stand-ins that survive every encoding a
 * file applies unchanged (percent-encoding in URLs, `$$` for oslo.config, shell quoting), then
 * each stand-in replaced by "****". The real passwords are never rendered for display.
 */
import { CloudPasswords, passwordsFrom } from "../config/passwords";
import type { PlannedFile, VirtType } from "../plan/hostPlan";

export function maskingPasswords(): CloudPasswords {
  return passwordsFrom((name) => `MASKEDxPASSWORDx${name}xMASKED`);
}

/** Replaces every stand-in password of `maskingPasswords()` with "****". */
export function maskStandInPasswords(text: string): string {
  return text.replace(/MASKEDxPASSWORDx[A-Za-z]+xMASKED/g, "****");
}

/** The file's text with every password replaced by "****". */
export function renderMasked(file: PlannedFile, virtType?: VirtType): string {
  return maskStandInPasswords(file.render(maskingPasswords(), virtType));
}
