/**
 * Running the openstack client as admin inside a step: credentials in the environment of the
 * step's shell (readable by root only), the password from the step's secret variable.
 */
import { shellQuote } from "../lib/shell";
import { adminPasswordVariable } from "./keystone";

export function adminEnvironment(authUrl: string, region: string): string {
  return [
    "export OS_PROJECT_DOMAIN_NAME=Default OS_USER_DOMAIN_NAME=Default OS_PROJECT_NAME=admin OS_USERNAME=admin",
    `export OS_PASSWORD="$${adminPasswordVariable}"`,
    `export OS_AUTH_URL=${shellQuote(authUrl)} OS_REGION_NAME=${shellQuote(region)}`,
    "export OS_IDENTITY_API_VERSION=3 OS_IMAGE_API_VERSION=2",
  ].join("\n");
}

/** The guide's admin-openrc, for operators and tests on the controller (written mode 0600). */
export function adminOpenrc(authUrl: string, region: string, adminPassword: string): string {
  return [
    "export OS_PROJECT_DOMAIN_NAME=Default",
    "export OS_USER_DOMAIN_NAME=Default",
    "export OS_PROJECT_NAME=admin",
    "export OS_USERNAME=admin",
    `export OS_PASSWORD=${shellQuote(adminPassword)}`,
    `export OS_AUTH_URL=${shellQuote(authUrl)}`,
    `export OS_REGION_NAME=${shellQuote(region)}`,
    "export OS_IDENTITY_API_VERSION=3",
    "export OS_IMAGE_API_VERSION=2",
    "",
  ].join("\n");
}

/**
 * Retries a read-only client command a bounded number of times (services still starting).
 * Each attempt is cut off after `attemptSeconds`: the client has no timeout of its own, and an
 * API worker still loading its application can hold a request open indefinitely (seen with
 * Neutron under load), which would otherwise hang the step instead of retrying it.
 */
export function retried(command: string, attempts = 30, delaySeconds = 2, attemptSeconds = 60): string {
  return `for attempt in $(seq ${attempts}); do timeout ${attemptSeconds} ${command} && break; [ "$attempt" = ${attempts} ] && exit 1; sleep ${delaySeconds}; done`;
}

/** Client commands as the admin, each retried until it answers (a service just started takes a while); output discarded. */
export function answeringClientScript(authUrl: string, region: string, commands: readonly string[]): string {
  return [adminEnvironment(authUrl, region), ...commands.map((command) => retried(`${command} >/dev/null`))].join("\n");
}
