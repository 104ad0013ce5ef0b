"""Access to the real PowerVM responses in ``tests/data/powervm-captures``
(see the README there), for tests that check the wire format."""

import json
import pathlib

from pypvm_tx import adapter as adp

CAPTURES = pathlib.Path(__file__).resolve().parent / "data" / "powervm-captures"
RESPONSES = CAPTURES / "responses"
TEMPLATES = CAPTURES / "templates"


def response_body(name: str) -> bytes:
    """The bytes of ``responses/<name>``."""
    return (RESPONSES / name).read_bytes()


def captured_response(name: str) -> adp.Response:
    """A Response as the server sent ``responses/<name>`` (its request
    path, status, reason and ETag come from ``manifest.json``)."""
    info = json.loads((RESPONSES / "manifest.json").read_text())[name]
    headers = {"ETag": info["etag"]} if info["etag"] else {}
    return adp.Response("GET", "/rest/api/uom/" + info["path"],
                        info["status"], info["reason"], headers,
                        body=response_body(name))
