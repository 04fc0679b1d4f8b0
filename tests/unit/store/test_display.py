"""Human times, sizes and digests, and the card every record shows itself as."""

from __future__ import annotations

import pytest

from jupyter_mlpipe.store.display import Card, short_digest, size, span, when


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(0.42, "0.4s"), (42, "42s"), (185, "3m 05s"), (7620, "2h 07m"), (270000, "3d 3h"),
     (None, "—"), (float("nan"), "—")],
)  # fmt: skip
def test_span(seconds: float | None, said: str) -> None:
    assert span(seconds) == said


def test_when_says_the_clock_and_how_long_ago() -> None:
    assert when(1000.0, now=1185.0).endswith("(3m 05s ago)")
    assert when(None) == "—"


def test_sizes_and_digests() -> None:
    assert (size(812), size(1_300_000)) == ("812 B", "1.3 MB")
    assert short_digest("sha256:" + "ab" * 32) == "sha256:abababababab"


def test_a_card_in_text_and_html() -> None:
    card = Card("package m", "", [("folder", "/d/<m>")], ["mlpipe deploy m"], note="ok")
    assert card.text() == "package m\n  ok\n  folder  /d/<m>\nnext:\n  mlpipe deploy m"
    html = card.html()
    assert "/d/&lt;m&gt;" in html and "<code>%mlpipe deploy m</code>" in html
