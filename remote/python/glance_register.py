"""Registers images in Glance from files on this host, idempotently.

Reads a JSON document on stdin:
  {"images": [{"name", "file", "diskFormat", "containerFormat",
               "properties": {name: value},
               "imageIdProperties": {property: name of an image listed before}}]}
and the admin's credentials from the OS_* environment variables. For each image, in order, an
active public image of that name, formats and content (Glance's os_hash_value, or its md5
checksum where it has no other, computed from the file here) is kept: its visibility and
properties are set where they differ, nothing is uploaded again. Otherwise a new image is created
and the file uploaded. Once every image is in place, other images of the same names are deleted
(older contents, uploads a failed run left unfinished), the last image of the list first, so that
no image references a deleted one for longer than needed. Prints one JSON line per action.

Runs on Python 2.7 (CentOS 7) and 3.
"""
import hashlib
import json
import os
import sys
import time

from glanceclient import client as glance_client
from glanceclient import exc as glance_exceptions
from keystoneauth1 import exceptions as auth_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

spec = json.load(sys.stdin)


def report(action, image, **details):
    entry = {"action": action, "kind": "image", "name": image["name"], "id": image["id"]}
    entry.update(details)
    print(json.dumps(entry, sort_keys=True))
    sys.stdout.flush()


def glance():
    environment = os.environ
    auth = v3.Password(auth_url=environment["OS_AUTH_URL"], username=environment["OS_USERNAME"],
                       password=environment["OS_PASSWORD"], project_name=environment["OS_PROJECT_NAME"],
                       user_domain_name=environment["OS_USER_DOMAIN_NAME"],
                       project_domain_name=environment["OS_PROJECT_DOMAIN_NAME"])
    return glance_client.Client("2", session=ks_session.Session(auth=auth),
                                region_name=environment["OS_REGION_NAME"], interface="public")


def file_hash(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as data:
        for chunk in iter(lambda: data.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def same_content(image, path):
    """Whether the image holds the file: Glance's multihash where it has one (Rocky on), else md5."""
    if image.get("size") != os.path.getsize(path):
        return False
    algorithm = image.get("os_hash_algo")
    if algorithm and image.get("os_hash_value"):
        return image["os_hash_value"] == file_hash(path, algorithm)
    return image.get("checksum") == file_hash(path, "md5")


def reusable(image, entry):
    return (image.get("status") == "active" and image.get("disk_format") == entry["diskFormat"]
            and image.get("container_format") == entry["containerFormat"] and same_content(image, entry["file"]))


def wait_until_active(client, image_id, seconds=300):
    deadline = time.time() + seconds
    while True:
        image = client.images.get(image_id)
        if image["status"] == "active":
            return image
        if image["status"] in ("killed", "deleted", "deactivated") or time.time() > deadline:
            raise RuntimeError("image %s (%s) is %s after its upload" % (image["name"], image_id, image["status"]))
        time.sleep(1)


def ensure_image(client, entry, ids):
    """The image of the entry, kept or made; and the other images of its name."""
    wanted = dict(entry["properties"])
    for prop, target in entry["imageIdProperties"].items():
        wanted[prop] = ids[target]
    found = sorted(client.images.list(filters={"name": entry["name"]}), key=lambda image: image.get("created_at") or "")
    kept = next((image for image in found if reusable(image, entry)), None)
    if kept is None:
        image = client.images.create(name=entry["name"], disk_format=entry["diskFormat"],
                                     container_format=entry["containerFormat"], visibility="public", **wanted)
        with open(entry["file"], "rb") as data:
            client.images.upload(image["id"], data)
        kept = wait_until_active(client, image["id"])
        report("created", kept, bytes=kept.get("size"))
    else:
        changes = dict((key, value) for key, value in wanted.items() if kept.get(key) != value)
        if kept.get("visibility") != "public":
            changes["visibility"] = "public"
        if changes:
            kept = client.images.update(kept["id"], **changes)
            report("updated", kept, changed=sorted(changes))
        else:
            report("unchanged", kept)
    return kept, [image for image in found if image["id"] != kept["id"]]


def register():
    client = glance()
    ids = {}
    superseded = []
    for entry in spec["images"]:
        kept, others = ensure_image(client, entry, ids)
        ids[entry["name"]] = kept["id"]
        superseded.append(others)
    for others in reversed(superseded):
        for image in others:
            if image.get("protected"):
                report("kept protected", image)
                continue
            client.images.delete(image["id"])
            report("deleted superseded", image)


def main():
    # Glance just (re)started may refuse connections or answer 503 for a while; every step above
    # is idempotent (an unfinished upload is deleted as superseded), so the whole registration is
    # run again, a bounded number of times.
    attempts = 12
    for attempt in range(1, attempts + 1):
        try:
            register()
            return
        except (auth_exceptions.ConnectFailure, auth_exceptions.ConnectTimeout, auth_exceptions.ServiceUnavailable,
                glance_exceptions.CommunicationError, glance_exceptions.HTTPServiceUnavailable) as error:
            if attempt == attempts:
                raise
            sys.stderr.write("Glance did not answer (%s); retrying (%d/%d)\n" % (error, attempt, attempts - 1))
            time.sleep(5)


main()
