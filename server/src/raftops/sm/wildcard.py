"""Wildcard matching in linear time, for every pattern a client sends (no regular expression is built
from user input anywhere in the server).

* :func:`simple_match` - OpenSearch ``Regex.simpleMatch``: ``*`` matches any run, nothing else is special
  (snapshot and repository name patterns, ``_explain``).
* :class:`Wildcard` - Lucene's ``WildcardQuery`` syntax, as ``query_string`` uses it on a keyword field:
  ``*`` any run, ``?`` exactly one character, ``\\`` escapes the next character.

How: split the pattern at ``*``; the first piece must match at the start, the last at the end, and the
pieces between are found left to right, each at its leftmost place after the previous one (leftmost is
always right for ``*``-separated pieces, so nothing is ever retried). A piece without ``?`` is found with
``str.find``; a piece with ``?`` is a fixed-length sequence of literals and any-characters, searched with
its longest literal run. The pieces scan the text left to right and never go back, so a pattern of
``*`` and literals costs one pass over the text whatever the number of ``*`` (``*a*a*a*a*a*a*a*a*a*a*a*b``
is as cheap as ``*b``); a piece with ``?`` costs at most len(text) x len(piece) character comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass

ANY = None  # one "?" in a compiled piece


@dataclass(frozen=True)
class _Piece:
    """A run between two ``*``: literal strings and ANY (one character each)."""

    parts: tuple[str | None, ...]
    length: int
    literal: str | None  # the whole piece when it has no "?"

    def match_at(self, text: str, pos: int) -> bool:
        if pos + self.length > len(text):
            return False
        for part in self.parts:
            if part is ANY:
                pos += 1
            else:
                if not text.startswith(part, pos):
                    return False
                pos += len(part)
        return True

    def find(self, text: str, start: int, end: int) -> int:
        """Leftmost position p in [start, end - length] where the piece matches, or -1."""
        if self.literal is not None:
            return text.find(self.literal, start, end)
        last = end - self.length
        if last < start:
            return -1
        # Anchor on the longest literal part; the piece can only match where that part occurs.
        offset, anchor = 0, ""
        run = 0
        for part in self.parts:
            if part is not ANY and len(part) > len(anchor):
                offset, anchor = run, part
            run += 1 if part is ANY else len(part)
        if not anchor:  # only "?": any position that leaves room
            return start
        pos = start
        while pos <= last:
            hit = text.find(anchor, pos + offset, last + offset + len(anchor))
            if hit < 0:
                return -1
            candidate = hit - offset
            if self.match_at(text, candidate):
                return candidate
            pos = candidate + 1
        return -1


def _compile_piece(chars: list[tuple[str, bool]]) -> _Piece:
    parts: list[str | None] = []
    buf: list[str] = []
    for ch, wild in chars:
        if wild:
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(ANY)
        else:
            buf.append(ch)
    if buf:
        parts.append("".join(buf))
    literal = "".join(p for p in parts if p is not ANY) if ANY not in parts else None
    return _Piece(tuple(parts), len(chars), literal)


class Wildcard:
    """A compiled Lucene wildcard pattern (``*``, ``?``, ``\\`` escapes)."""

    def __init__(self, pattern: str):
        pieces: list[list[tuple[str, bool]]] = [[]]
        i = 0
        while i < len(pattern):
            c = pattern[i]
            if c == "\\" and i + 1 < len(pattern):
                pieces[-1].append((pattern[i + 1], False))
                i += 2
                continue
            if c == "*":
                pieces.append([])
            elif c == "?":
                pieces[-1].append((c, True))
            else:
                pieces[-1].append((c, False))
            i += 1
        self.pattern = pattern
        self._pieces = [_compile_piece(p) for p in pieces]

    def fullmatch(self, text: str) -> bool:
        pieces = self._pieces
        if len(pieces) == 1:
            return pieces[0].length == len(text) and pieces[0].match_at(text, 0)
        head, tail = pieces[0], pieces[-1]
        if head.length + tail.length > len(text):
            return False
        if not head.match_at(text, 0) or not tail.match_at(text, len(text) - tail.length):
            return False
        pos, end = head.length, len(text) - tail.length
        for piece in pieces[1:-1]:
            if piece.length == 0:
                continue
            found = piece.find(text, pos, end)
            if found < 0:
                return False
            pos = found + piece.length
        return True


def simple_match(pattern: str, text: str) -> bool:
    """OpenSearch Regex.simpleMatch: ``*`` matches any run of characters; nothing else is special."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern == text
    if len(text) < len(parts[0]) + len(parts[-1]) or not text.startswith(parts[0]) or not text.endswith(parts[-1]):
        return False
    pos = len(parts[0])
    end = len(text) - len(parts[-1])
    for middle in parts[1:-1]:
        found = text.find(middle, pos, end)
        if found < 0:
            return False
        pos = found + len(middle)
    return True


__all__ = ["Wildcard", "simple_match"]
