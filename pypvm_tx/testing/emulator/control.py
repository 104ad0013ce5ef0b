"""The control API under ``/emulator/``: JSON in and out, no session
token (see the package documentation for its paths), and
:class:`EmulatorControl`, its client."""

import json
import urllib.request
from typing import Dict, List, Optional
from urllib.parse import parse_qs

from pypvm_tx import const as c
from pypvm_tx.testing.emulator.common import (CONTROL_PREFIX, TYPES,
                                              EmulatorError)
from pypvm_tx.testing.emulator.replies import Reply, json_reply
from pypvm_tx.testing.emulator.routes import RouteTable
from pypvm_tx.testing.emulator.store import StoredObject


class ControlCall:
    """One control request: the query's parameters, the JSON body's
    arguments and the path's named parts."""

    def __init__(self, emulator, params: Dict[str, List[str]],
                 args: Dict, path_params: Dict[str, str]):
        self.emulator = emulator
        self.params = params
        self.args = args
        self.path_params = path_params


def answer(emulator, method: str, path: str, query: str,
           body: bytes) -> Reply:
    """Handle ``/emulator/...``: JSON in, JSON out."""
    try:
        args = json.loads(body) if body else {}
        if not isinstance(args, dict):
            raise ValueError("the body must be a JSON object")
        action = path[len(CONTROL_PREFIX):]
        found = CONTROL_ROUTES.match(method, action)
        if found is None or found.handler is None:
            raise EmulatorError(404, "No control action %s %s."
                                % (method, action))
        call = ControlCall(emulator, parse_qs(query), args, found.params)
        return json_reply(200, found.handler(call))
    except KeyError as exc:
        return json_reply(404, {"error": "not found: %s" % exc})
    except EmulatorError as exc:
        return json_reply(exc.status, {"error": exc.message})
    except (ValueError, TypeError) as exc:
        return json_reply(400, {"error": str(exc)})


def _summary(obj: StoredObject) -> Dict:
    return {"uuid": obj.uuid, "type": obj.schema_type, "name": obj.name,
            "version": obj.version, "etag": obj.etag(obj.groups)}


def counters(call: ControlCall):
    return call.emulator.counters()


def updates(call: ControlCall):
    return call.emulator.updates()


def reset_counters(call: ControlCall):
    call.emulator.reset_counters()
    return {}


def seed(call: ControlCall):
    emu, args = call.emulator, call.args
    emu.seed(int(args.get("lpars", 0)), int(args.get("vioses", 0)),
             args.get("seed"))
    return {"ms_uuid": emu.ms_uuid}


def entries(call: ControlCall):
    store = call.emulator._store
    types = call.params.get("type") or list(TYPES)
    with store.lock:
        return [_summary(o) for t in types for o in store.of_type(t)]


def entry(call: ControlCall):
    emu, uuid = call.emulator, call.path_params["uuid"]
    with emu._store.lock:
        summary = _summary(emu._store.get(uuid))
    if call.params.get("path"):
        summary["value"] = emu.get_value(uuid, call.params["path"][0])
    return summary


def change(call: ControlCall):
    args = call.args
    return {"etag": call.emulator.change(args["uuid"], args.get("path"),
                                         args.get("value"))}


def latency(call: ControlCall):
    call.emulator.latency = float(call.args.get("seconds", 0))
    return {"latency": call.emulator.latency}


def inject_fault(call: ControlCall):
    return call.emulator.inject_fault(**call.args)


def faults(call: ControlCall):
    return call.emulator.faults()


def clear_faults(call: ControlCall):
    call.emulator.clear_faults()
    return {}


def expire_sessions(call: ControlCall):
    call.emulator.expire_sessions(int(call.args.get("after", 0)))
    return {}


#: The control actions, on the path below ``/emulator/``.  A method an
#: action does not take is answered 404, like an unknown action.
CONTROL_ROUTES = RouteTable([
    ("GET", "counters", counters),
    ("POST", "counters/reset", reset_counters),
    ("GET", "updates", updates),
    ("POST", "seed", seed),
    ("GET", "entries", entries),
    ("GET", "entries/(?P<uuid>.*)", entry),
    ("POST", "change", change),
    ("POST", "latency", latency),
    ("POST", "faults", inject_fault),
    ("GET", "faults", faults),
    ("DELETE", "faults", clear_faults),
    ("POST", "expire-sessions", expire_sessions),
])


class EmulatorControl:
    """Drive a running emulator's ``/emulator/`` control path over HTTP
    (for an emulator in another process)."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method, action, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.base_url + CONTROL_PREFIX + action,
                                     data=data, method=method,
                                     headers={"Content-Type":
                                              "application/json"})
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return json.loads(resp.read() or b"null")

    def counters(self) -> Dict:
        return self._call("GET", "counters")

    def updates(self) -> Dict[str, int]:
        """``{uuid: POSTs stored on that object}`` since the last reset."""
        return self._call("GET", "updates")

    def reset_counters(self):
        return self._call("POST", "counters/reset", {})

    def seed(self, lpars=0, vioses=0, seed=None):
        return self._call("POST", "seed", {"lpars": lpars, "vioses": vioses,
                                           "seed": seed})

    def entries(self, schema_type=c.LOGICAL_PARTITION) -> List[Dict]:
        return self._call("GET", "entries?type=" + schema_type)

    def get_value(self, uuid, path) -> Optional[str]:
        return self._call("GET", "entries/%s?path=%s" % (uuid, path))["value"]

    def change(self, uuid, path=None, value=None) -> str:
        return self._call("POST", "change", {"uuid": uuid, "path": path,
                                             "value": value})["etag"]

    def set_latency(self, seconds: float):
        return self._call("POST", "latency", {"seconds": seconds})

    def inject_fault(self, **kwargs):
        return self._call("POST", "faults", kwargs)

    def clear_faults(self):
        return self._call("DELETE", "faults")

    def expire_sessions(self, after: int = 0):
        return self._call("POST", "expire-sessions", {"after": after})
