"""A fake Glance v2 images API over a JSON file (FAKE_GLANCE_STATE): what glance_register.py calls."""
import hashlib
import json
import os


def _load():
    with open(os.environ["FAKE_GLANCE_STATE"]) as state:
        return json.load(state)


def _save(state):
    with open(os.environ["FAKE_GLANCE_STATE"], "w") as out:
        json.dump(state, out, indent=1, sort_keys=True)


class _Images(object):
    def list(self, filters=None):
        name = (filters or {}).get("name")
        return [image for image in _load()["images"] if name is None or image["name"] == name]

    def get(self, image_id):
        return next(image for image in _load()["images"] if image["id"] == image_id)

    def create(self, **fields):
        state = _load()
        state["counter"] = state.get("counter", 0) + 1
        image = dict(fields, id="image-%d" % state["counter"], status="queued", size=None, checksum=None,
                     os_hash_algo=None, os_hash_value=None, protected=False,
                     created_at="2026-01-01T00:00:%02dZ" % state["counter"])
        state["images"].append(image)
        state["calls"].append(["create", image["name"], image["id"]])
        _save(state)
        return image

    def upload(self, image_id, data):
        content = data.read()
        state = _load()
        image = next(image for image in state["images"] if image["id"] == image_id)
        image.update(status="active", size=len(content), checksum=hashlib.md5(content).hexdigest(),
                     os_hash_algo="sha512", os_hash_value=hashlib.sha512(content).hexdigest())
        state["calls"].append(["upload", image["name"], image_id])
        _save(state)

    def update(self, image_id, **changes):
        state = _load()
        image = next(image for image in state["images"] if image["id"] == image_id)
        image.update(changes)
        state["calls"].append(["update", image["name"], image_id, sorted(changes)])
        _save(state)
        return image

    def delete(self, image_id):
        state = _load()
        image = next(image for image in state["images"] if image["id"] == image_id)
        state["images"].remove(image)
        state["calls"].append(["delete", image["name"], image_id])
        _save(state)


class _Client(object):
    def __init__(self):
        self.images = _Images()


def Client(version, session=None, **kwargs):
    assert version == "2" and session is not None and kwargs["region_name"] and kwargs["interface"] == "public"
    return _Client()
