"""Registers OpenStack services in Keystone, idempotently.

Reads a JSON document on stdin:
  {"authUrl", "region", "adminPassword",
   "services": [{"user", "password", "service": {"name", "type", "description"},
                 "endpoints": {"public": url, "internal": url, "admin": url}}]}
and makes Keystone match it: the "service" project exists; each user exists in the default
domain with the given password (changed only when logging in with it fails, so tokens are not
revoked for nothing) and the admin role on "service"; each service entity exists; each
interface has exactly one endpoint in the region, with the given URL (a changed URL is updated,
duplicates left by hand-run guide commands are removed). Prints one JSON line per action.

With the argument "check" it changes nothing: it prints one line per object a registration would
create or change, "object<TAB>expected<TAB>found" (a refresh's read-back; no password is printed).

With the argument "unregister" it removes what it would register instead: each service's
endpoints and entity and each user (the shared "service" project is kept). That runs only when
the stack allows destroying data (pulumi destroy of an unprotected registration).

Runs on Python 2.7 (CentOS 7) and 3.
"""
import json
import sys
import time

from keystoneauth1 import exceptions as auth_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

spec = json.load(sys.stdin)
CHECK = sys.argv[1:] == ["check"]
DIFFERENCES = []


def report(action, kind, name):
    if not CHECK:
        print(json.dumps({"action": action, "kind": kind, "name": name}))


def drift(kind, name, expected, found):
    """In check mode: one difference, instead of the change that would put it right."""
    DIFFERENCES.append("%s %s\t%s\t%s" % (kind, name, expected, found))


def admin_client():
    auth = v3.Password(auth_url=spec["authUrl"], username="admin", password=spec["adminPassword"],
                       project_name="admin", user_domain_id="default", project_domain_id="default")
    return client.Client(session=ks_session.Session(auth=auth), interface="public", region_name=spec["region"])


def password_works(user, password):
    auth = v3.Password(auth_url=spec["authUrl"], username=user, password=password,
                       project_name="service", user_domain_id="default", project_domain_id="default")
    try:
        ks_session.Session(auth=auth).get_token()
        return True
    except auth_exceptions.Unauthorized:
        return False


def ensure_project(keystone, name):
    found = keystone.projects.list(domain="default", name=name)
    if found:
        report("unchanged", "project", name)
        return found[0]
    if CHECK:
        drift("project", name, "present", "missing")
        return None
    report("created", "project", name)
    return keystone.projects.create(name=name, domain="default", description="Service Project")


def ensure_user(keystone, name, password):
    found = keystone.users.list(domain="default", name=name)
    if not found and CHECK:
        drift("user", name, "present", "missing")
        return None
    if not found:
        report("created", "user", name)
        return keystone.users.create(name=name, domain="default", password=password)
    user = found[0]
    # A user without its role cannot log in to "service" yet; the role is granted below and the
    # password checked again on the next run.
    if password_works(name, password):
        report("unchanged", "user", name)
    elif CHECK:
        drift("user", name + " password", "[secret]", "[secret] changed")
    else:
        keystone.users.update(user, password=password)
        report("updated", "user password", name)
    return user


def ensure_role(keystone, user, project, role_name, user_name):
    role = keystone.roles.list(name=role_name)[0]
    if user is not None and project is not None and keystone.role_assignments.list(user=user, project=project, role=role):
        report("unchanged", "role assignment", "%s:%s" % (user.name, role_name))
    elif CHECK:
        drift("role assignment", "%s on project service" % user_name, role_name, "missing")
    else:
        keystone.roles.grant(role, user=user, project=project)
        report("created", "role assignment", "%s:%s" % (user.name, role_name))


def ensure_service(keystone, entry):
    found = [s for s in keystone.services.list(type=entry["type"]) if s.name == entry["name"]]
    if found:
        report("unchanged", "service", entry["name"])
        return found[0]
    if CHECK:
        drift("service", entry["name"], "present (type %s)" % entry["type"], "missing")
        return None
    report("created", "service", entry["name"])
    return keystone.services.create(name=entry["name"], type=entry["type"], description=entry["description"])


def ensure_endpoints(keystone, service, endpoints, service_name):
    for interface in sorted(endpoints):
        url = endpoints[interface]
        name = "%s/%s" % (service_name, interface)
        found = keystone.endpoints.list(service=service, interface=interface, region=spec["region"]) if service is not None else []
        if CHECK:
            if not found:
                drift("endpoint", name, url, "missing")
            elif found[0].url != url:
                drift("endpoint", name, url, found[0].url)
            if len(found) > 1:
                drift("endpoint", name, "1 endpoint", "%d endpoints" % len(found))
            continue
        for duplicate in found[1:]:
            keystone.endpoints.delete(duplicate)
            report("deleted duplicate", "endpoint", name)
        if not found:
            keystone.endpoints.create(service=service, interface=interface, url=url, region=spec["region"])
            report("created", "endpoint", name)
        elif found[0].url != url:
            keystone.endpoints.update(found[0], url=url)
            report("updated", "endpoint", name)
        else:
            report("unchanged", "endpoint", name)


def register():
    keystone = admin_client()
    project = ensure_project(keystone, "service")
    for entry in spec["services"]:
        user = ensure_user(keystone, entry["user"], entry["password"])
        ensure_role(keystone, user, project, "admin", entry["user"])
        service = ensure_service(keystone, entry["service"])
        ensure_endpoints(keystone, service, entry["endpoints"], entry["service"]["name"])


def unregister():
    keystone = admin_client()
    for entry in spec["services"]:
        for service in [s for s in keystone.services.list(type=entry["service"]["type"]) if s.name == entry["service"]["name"]]:
            for endpoint in keystone.endpoints.list(service=service):
                keystone.endpoints.delete(endpoint)
                report("deleted", "endpoint", "%s/%s" % (service.name, endpoint.interface))
            keystone.services.delete(service)
            report("deleted", "service", service.name)
        for user in keystone.users.list(domain="default", name=entry["user"]):
            keystone.users.delete(user)
            report("deleted", "user", entry["user"])


def main():
    # A Keystone that has just started (or is short of workers) may drop a connection; every
    # step above is idempotent, so the whole registration is simply run again, a bounded number
    # of times.
    attempts = 10
    for attempt in range(1, attempts + 1):
        try:
            del DIFFERENCES[:]
            unregister() if sys.argv[1:] == ["unregister"] else register()
            for line in DIFFERENCES:
                print(line)
            return
        except (auth_exceptions.ConnectFailure, auth_exceptions.ConnectTimeout, auth_exceptions.ServiceUnavailable) as error:
            if attempt == attempts:
                raise
            sys.stderr.write("Keystone did not answer (%s); retrying (%d/%d)\n" % (error, attempt, attempts - 1))
            time.sleep(5)


main()
