"""Stripe's search query language, parsed into a small AST (no fields known here, no SQL).

What Stripe documents (docs.stripe.com/search#search-query-language)::

    email:"jo@example.com" AND metadata["plan"]:'pro'     clauses joined by AND (or spaces)
    status:"failed" OR status:"canceled"                  ... or by OR, never both
    -currency:"usd"   amount>=1000   created<1700000000   negation, numeric comparisons
    name~"ami"        email:null    -metadata["k"]:null   substring, absence, presence

A clause is ``[-]field operator value``. Strings are quoted (``"`` or ``'``; ``\\`` escapes the
next character); numbers and ``null`` may be bare. ``AND`` / ``OR`` are case-insensitive; at
most ``MAX_CLAUSES`` clauses; no parentheses. Which fields exist and which operators each takes
is the resource's business (``services.search``); this module only reads the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import messages

MAX_CLAUSES = 10  # Stripe's limit
OPERATORS = (">=", "<=", ":", "~", ">", "<")  # longest first
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_BARE = re.compile(r"[^\s\"']+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?$")
_CONJUNCTION = re.compile(r"(and|or)(?=\s|$)", re.IGNORECASE)


class QueryError(ValueError):
    """The query cannot be read; the message says where and why."""


@dataclass(frozen=True)
class Clause:
    field: str  # ``email``, ``payment_method_details.card.last4``, ``metadata``
    operator: str  # one of OPERATORS
    value: str | None  # None: ``null``
    negated: bool = False
    key: str | None = None  # the metadata key, for ``metadata["key"]``
    quoted: bool = True  # False for a bare number

    @property
    def name(self) -> str:
        """The field as written back in messages: ``metadata["plan"]`` for metadata."""
        return f'{self.field}["{self.key}"]' if self.key is not None else self.field


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    conjunction: str = "AND"  # AND | OR (one clause: AND)


def parse(text: str) -> Query:
    """``text`` as a :class:`Query`, or :class:`QueryError`."""
    return _Parser(text).query()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def error(self, what: str) -> QueryError:
        return QueryError(messages.SEARCH_SYNTAX.format(at=self.at + 1, what=what))

    def skip_spaces(self) -> bool:
        start = self.at
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1
        return self.at > start

    def query(self) -> Query:
        self.skip_spaces()
        if self.at == len(self.text):
            raise QueryError(messages.SEARCH_EMPTY)
        clauses, conjunctions = [self.clause()], set()
        while True:
            spaced = self.skip_spaces()
            if self.at == len(self.text):
                break
            if not spaced:
                raise self.error(messages.SEARCH_EXPECTED_SEPARATOR)
            word = self.conjunction()
            if word:
                conjunctions.add(word)
                if len(conjunctions) > 1:
                    raise QueryError(messages.SEARCH_AND_OR)
                if not self.skip_spaces() or self.at == len(self.text):
                    raise self.error(messages.SEARCH_EXPECTED_CLAUSE.format(word=word))
            clauses.append(self.clause())
            if len(clauses) > MAX_CLAUSES:
                raise QueryError(messages.SEARCH_TOO_MANY_CLAUSES.format(max=MAX_CLAUSES))
        return Query(tuple(clauses), conjunctions.pop() if conjunctions else "AND")

    def conjunction(self) -> str | None:
        """``AND`` or ``OR`` (any case) followed by a space or the end, consumed; else None."""
        match = _CONJUNCTION.match(self.text, self.at)
        if match is None:
            return None
        self.at = match.end()
        return match.group(1).upper()

    def clause(self) -> Clause:
        negated = self.text.startswith("-", self.at)
        if negated:
            self.at += 1
        match = _FIELD.match(self.text, self.at)
        if match is None:
            raise self.error(messages.SEARCH_EXPECTED_FIELD)
        field, self.at = match.group(), match.end()
        key = None
        if field == "metadata" and self.text.startswith("[", self.at):
            self.at += 1
            key = self.quoted(messages.SEARCH_EXPECTED_KEY)
            if not self.text.startswith("]", self.at):
                raise self.error(messages.SEARCH_EXPECTED_BRACKET)
            self.at += 1
        operator = next((op for op in OPERATORS if self.text.startswith(op, self.at)), None)
        if operator is None:
            raise self.error(messages.SEARCH_EXPECTED_OPERATOR.format(field=field))
        self.at += len(operator)
        expected_value = messages.SEARCH_EXPECTED_VALUE.format(field=field, operator=operator)
        if self.at < len(self.text) and self.text[self.at] in "\"'":
            return Clause(field, operator, self.quoted(expected_value), negated, key)
        bare = _BARE.match(self.text, self.at)
        if bare is None:
            raise self.error(expected_value)
        word = bare.group()
        if word.lower() == "null":
            value = None
        elif _NUMBER.match(word):
            value = word
        else:
            raise self.error(messages.SEARCH_UNQUOTED.format(field=field, operator=operator,
                                                             word=word))
        self.at = bare.end()
        return Clause(field, operator, value, negated, key, quoted=False)

    def quoted(self, expected: str) -> str:
        """A ``"..."`` or ``'...'`` string at the cursor, unescaped (else ``expected``)."""
        if self.at >= len(self.text) or self.text[self.at] not in "\"'":
            raise self.error(expected)
        quote, start = self.text[self.at], self.at
        self.at += 1
        out = []
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\" and self.at + 1 < len(self.text):
                out.append(self.text[self.at + 1])
                self.at += 2
                continue
            self.at += 1
            if char == quote:
                return "".join(out)
            out.append(char)
        self.at = start
        raise self.error(messages.SEARCH_UNTERMINATED)
