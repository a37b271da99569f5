"""Text parts of one message are joined so that no two fuse into one word or sentence."""

from __future__ import annotations

from deepseekapi_core.wire._convert import join_text_parts, join_texts
from deepseekapi_core.wire._images import content_from_parts


def test_text_parts_are_joined_so_that_none_fuse() -> None:
    assert join_text_parts(["You are terse.", "Answer in French."]) == (
        "You are terse.\nAnswer in French."
    )
    assert join_text_parts(["a ", "b", {"type": "text", "text": "\nc"}, ""]) == "a b\nc"
    assert join_text_parts(["only"]) == "only"
    assert content_from_parts(["x", "y"]) == "x\ny"


def test_join_texts_adds_a_newline_only_where_two_parts_would_touch() -> None:
    assert join_texts([]) == ""
    assert join_texts(["a\n", "b", " c", "", "d"]) == "a\nb c\nd"
