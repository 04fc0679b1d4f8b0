"""Asking a registry whether it holds an image (the OCI distribution API, standard library).

``HEAD /v2/<repository>/manifests/<tag>`` answers 200 with the manifest digest in
``Docker-Content-Digest`` when the tag exists, 404 when not. A registry that wants a token
(``401`` with ``WWW-Authenticate: Bearer realm=...``) gets the anonymous token flow; a registry
that still refuses counts as "unknown", and the caller builds (a build that pushes an existing
tag is wasted work, not wrong).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class ImageRef:
    """``registry/repository:tag`` split into its parts."""

    registry: str
    repository: str
    tag: str

    @classmethod
    def parse(cls, ref: str) -> ImageRef:
        """Split ``ref``; the registry is the first part when it has a ``.``, ``:`` or is
        ``localhost`` (as docker reads references).

        Raises:
            ValueError: no tag, or no registry host.
        """
        name, _, tag = ref.rpartition(":")
        if not name or "/" in tag:
            raise ValueError(f"{ref!r} has no tag")
        host, _, repository = name.partition("/")
        if not repository or not ("." in host or ":" in host or host == "localhost"):
            raise ValueError(f"{ref!r} names no registry host")
        return cls(host, repository, tag)

    def by_digest(self, digest: str) -> str:
        return f"{self.registry}/{self.repository}@{digest}"


def manifest_digest(ref: str, *, tls_verify: bool = True, timeout: float = 15.0) -> str | None:
    """The digest of ``ref`` in its registry; None when the registry lacks it or will not say.

    Args:
        ref: ``registry/repository:tag``.
        tls_verify: False talks plain HTTP (a loopback or insecure registry).
    """
    image = ImageRef.parse(ref)
    scheme = "https" if tls_verify else "http"
    url = f"{scheme}://{image.registry}/v2/{image.repository}/manifests/{image.tag}"
    headers = {"Accept": ACCEPT}
    for _ in range(2):
        request = urllib.request.Request(url, method="HEAD", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                digest = answer.headers.get("Docker-Content-Digest", "")
                return digest if _DIGEST.fullmatch(digest) else None
        except urllib.error.HTTPError as exc:
            if exc.code != 401 or "Authorization" in headers:
                return None
            token = _anonymous_token(exc.headers.get("WWW-Authenticate", ""), timeout)
            if token is None:
                return None
            headers["Authorization"] = f"Bearer {token}"
        except (urllib.error.URLError, OSError):
            return None
    return None


def _anonymous_token(challenge: str, timeout: float) -> str | None:
    if not challenge.lower().startswith("bearer "):
        return None
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    realm = fields.pop("realm", "")
    if not realm.startswith(("https://", "http://")):
        return None
    url = realm + "?" + urllib.parse.urlencode(fields)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            body = json.loads(answer.read() or b"{}")
    except (urllib.error.URLError, OSError, ValueError):
        return None
    token = body.get("token") or body.get("access_token")
    return str(token) if token else None
