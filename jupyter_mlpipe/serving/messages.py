"""Where a Seldon request carries its message, as Seldon Core 1.17.1's microservice reads it.

In order: a ``multipart/form-data`` body (every field is a part of the SeldonMessage: ``strData``
as text, other fields as JSON; a file part ``binData`` is sent base64-encoded, other file parts
as UTF-8 text), a form field ``json=``, a query parameter ``?json=``, else the JSON body.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs

from . import jsoncodec
from .http import Request
from .seldon_protocol import bad_data

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def mimetype(request: Request) -> str:
    """The request's media type, lower case, without parameters."""
    return request.content_type.split(";", 1)[0].strip().lower()


def is_json_type(media: str) -> bool:
    """Whether a media type means JSON (absent counts as JSON, as curl users expect)."""
    return media in ("", "application/json") or media.endswith("+json")


def decode_message(request: Request) -> Any:
    """The SeldonMessage of a request (see the module docstring for where it is looked for).

    Raises:
        PredictError: 400 for missing or invalid JSON or a malformed form, 415 for an
            unsupported content type.
    """
    media = mimetype(request)
    if media == MULTIPART:
        return multipart_message(request)
    text = None
    if media == FORM:
        try:
            form = parse_qs(request.body.decode("utf-8"))
        except UnicodeDecodeError:
            raise bad_data("the form body is not UTF-8") from None
        if "json" in form:
            text = form["json"][0]
    if text is None:
        text = request.query_value("json")
    if text is not None:
        return loads(text)
    if media == FORM:
        raise bad_data("Can't find JSON in data: a form request needs a json= field")
    if not is_json_type(media):
        raise bad_data(f"Content-Type {media!r} is not supported — send application/json "
                       "(or a form with a json= field, or multipart/form-data)", status=415)
    if request.decoded is not None:
        return request.decoded
    if not request.body:
        raise bad_data("Can't find JSON in data: the request body is empty")
    return loads(request.body)


def loads(data: bytes | str) -> Any:
    """Decode JSON text or answer Seldon's 400."""
    try:
        return jsoncodec.loads(data)
    except ValueError as exc:
        raise bad_data(f"Can't find JSON in data: invalid JSON ({exc})") from None
    except RecursionError:
        raise bad_data("Can't find JSON in data: the JSON is nested too deeply") from None


def multipart_message(request: Request) -> dict[str, Any]:
    """The SeldonMessage assembled from a ``multipart/form-data`` body.

    Raises:
        PredictError: 400 when the body is not valid multipart, a field is not JSON, or a text
            file part is not UTF-8.
    """
    from python_multipart import create_form_parser
    from python_multipart.exceptions import FormParserError

    fields: list[tuple[str, bytes]] = []
    files: list[tuple[str, bytes]] = []

    def on_field(field: Any) -> None:
        fields.append((field.field_name.decode("utf-8", "replace"), field.value or b""))

    def on_file(part: Any) -> None:
        part.file_object.seek(0)
        files.append((part.field_name.decode("utf-8", "replace"), part.file_object.read()))
        part.close()

    headers = {"Content-Type": request.content_type.encode("latin-1")}
    try:
        parser = create_form_parser(headers, on_field, on_file,
                                    config={"MAX_MEMORY_FILE_SIZE": len(request.body) + 1})
        parser.write(request.body)
        parser.finalize()
    except (FormParserError, ValueError) as exc:
        raise bad_data(f"the multipart/form-data body is malformed ({exc})") from None
    message: dict[str, Any] = {}
    for name, raw in fields:
        text = _text(raw, name)
        message[name] = text if name == "strData" else loads(text)
    for name, raw in files:
        if name == "binData":
            message[name] = base64.b64encode(raw).decode("ascii")
        else:
            message[name] = _text(raw, name)
    if not message:
        raise bad_data("Can't find JSON in data: the multipart/form-data body has no parts")
    return message


def _text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_data(f"form part {name!r} is not UTF-8 text — send bytes as a binData "
                       "file") from None
