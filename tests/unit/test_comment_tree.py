"""Assembling threads from a materialised path, without a database."""

from __future__ import annotations

from types import SimpleNamespace

from app.comments.models import path_segment
from app.comments.queries import assemble


def _c(cid: int, parent: SimpleNamespace | None = None) -> SimpleNamespace:
    path = f"{parent.path}/{path_segment(cid)}" if parent else path_segment(cid)
    return SimpleNamespace(id=cid, parent_id=parent.id if parent else None, path=path,
                           author=SimpleNamespace(display_name=f"Author {cid}"))


def test_path_segments_sort_numerically_as_text():
    assert path_segment(9) < path_segment(10) < path_segment(1_000_000)
    assert len(path_segment(1)) == len(path_segment(123456))


def test_replies_nest_under_their_parents_in_path_order():
    root = _c(1)
    a = _c(2, root)
    b = _c(5, root)
    a1 = _c(7, a)
    rows = sorted([root, a, b, a1], key=lambda c: c.path)
    nodes = assemble(rows, [1])
    assert [n.comment.id for n in nodes[1].children] == [2, 5]
    assert [n.comment.id for n in nodes[2].children] == [7]
    assert [n.comment.id for n in nodes[1].descendants()] == [2, 7, 5]
    assert nodes[7].reply_to is a


def test_a_reply_whose_parent_is_not_visible_hangs_under_the_nearest_visible_ancestor():
    root = _c(1)
    hidden = _c(2, root)
    reply = _c(3, hidden)
    nodes = assemble([root, reply], [1])  # comment 2 was filtered out (hidden, restricted...)
    assert [n.comment.id for n in nodes[1].children] == [3]
    assert nodes[3].reply_to is root


def test_deep_threads_keep_every_level():
    chain = [_c(1)]
    for cid in range(2, 12):
        chain.append(_c(cid, chain[-1]))
    nodes = assemble(chain, [1])
    assert [n.comment.id for n in nodes[1].descendants()] == list(range(2, 12))
    assert chain[-1].path.count("/") == 10
