"""Turns tokens into the syntax tree, checking function names and argument counts.

Grammar (Go ``text/template`` subset)::

    list     := (text | action | if | with | range)*
    action   := "{{" pipeline "}}"
    if       := "{{if" pipeline "}}" list ("{{else if" pipeline "}}" list)*
                ("{{else}}" list)? "{{end}}"
    with     := "{{with" pipeline "}}" list ("{{else}}" list)? "{{end}}"     (range alike)
    pipeline := command ("|" command)*
    command  := function operand* | operand
    operand  := .Field(.Field)* | $ | $.Field... | . | "string" | `raw` | 'string' | number
              | true | false | nil | function | "(" pipeline ")"
"""

from __future__ import annotations

from dataclasses import dataclass

from deskline.templates.expressions.errors import ExpressionSyntaxError
from deskline.templates.expressions.functions import KNOWN_FUNCTIONS
from deskline.templates.expressions.lexer import Tok, Token, tokenize
from deskline.templates.expressions.nodes import (
    WHOLE_CONTEXT,
    Action,
    Branch,
    Call,
    Command,
    Dot,
    Field,
    If,
    Literal,
    Node,
    Operand,
    Pipeline,
    Range,
    SubPipeline,
    Text,
    With,
)

_CONSTANTS: dict[str, bool | None] = {"true": True, "false": False, "nil": None}
_UNSUPPORTED = frozenset({"define", "template", "block", "break", "continue"})
_END_OF_COMMAND = (Tok.PIPE, Tok.CLOSE, Tok.RPAREN)
MAX_NESTING = 50
"""How deep if/with/range blocks and parentheses may nest."""


@dataclass(frozen=True)
class ParsedTemplate:
    nodes: tuple[Node, ...]
    variables: frozenset[str]
    functions: frozenset[str]


def parse(source: str) -> ParsedTemplate:
    """Parses ``source``; raises :class:`ExpressionSyntaxError` with the offset of the problem."""
    return _Parser(source, tokenize(source)).parse()


class _Parser:
    def __init__(self, source: str, tokens: list[Token]) -> None:
        self._source_length = len(source)
        self._tokens = tokens
        self._pos = 0
        # the top-level variables the current dot derives from (changed by with/range)
        self._dot_roots: list[frozenset[str]] = [frozenset({WHOLE_CONTEXT})]
        self._variables: set[str] = set()
        self._functions: set[str] = set()
        self._pipeline_roots: set[str] = set()
        self._depth = 0

    def parse(self) -> ParsedTemplate:
        nodes, terminator = self._list()
        if terminator is not None:
            raise ExpressionSyntaxError(f"unexpected {{{{{terminator.value}}}}}", terminator.offset)
        return ParsedTemplate(nodes, frozenset(self._variables), frozenset(self._functions))

    # --- token helpers ---------------------------------------------------------------------
    def _peek(self, ahead: int = 0) -> Token | None:
        index = self._pos + ahead
        return self._tokens[index] if index < len(self._tokens) else None

    def _next(self) -> Token:
        token = self._peek()
        if token is None:
            raise ExpressionSyntaxError("unexpected end of template", self._source_length)
        self._pos += 1
        return token

    def _expect(self, kind: Tok, what: str) -> Token:
        token = self._next()
        if token.kind is not kind:
            raise ExpressionSyntaxError(f"expected {what}", token.offset)
        return token

    def _keyword_after_open(self) -> Token | None:
        token = self._peek(1)
        if token is not None and token.kind is Tok.IDENT and token.value in (
            "if", "else", "end", "with", "range", *_UNSUPPORTED,
        ):  # fmt: skip
            return token
        return None

    # --- structure ---------------------------------------------------------------------------
    def _list(self) -> tuple[tuple[Node, ...], Token | None]:
        """Nodes up to ``{{else ...}}``/``{{end}}`` (returned as the terminator) or the end."""
        nodes: list[Node] = []
        while (token := self._peek()) is not None:
            if token.kind is Tok.TEXT:
                nodes.append(Text(str(token.value), token.offset))
                self._pos += 1
                continue
            keyword = self._keyword_after_open()
            if keyword is None:
                self._pos += 1
                pipeline = self._pipeline_with_roots()
                roots = frozenset(self._pipeline_roots)
                self._expect(Tok.CLOSE, "'}}'")
                nodes.append(Action(pipeline, token.offset, roots, _label(roots)))
                continue
            if keyword.value in ("else", "end"):
                self._pos += 2
                return tuple(nodes), keyword
            if keyword.value in _UNSUPPORTED:
                raise ExpressionSyntaxError(f"'{keyword.value}' is not supported", keyword.offset)
            self._pos += 2
            self._enter(keyword)
            nodes.append(self._if(token) if keyword.value == "if" else self._scope(token, keyword))
            self._depth -= 1
        return tuple(nodes), None

    def _if(self, opening: Token) -> If:
        branches: list[Branch] = []
        condition = self._pipeline_with_roots()
        self._expect(Tok.CLOSE, "'}}'")
        while True:
            body, terminator = self._list()
            branches.append(Branch(condition, body))
            self._require_terminator(terminator, opening, "if")
            assert terminator is not None
            if terminator.value == "end":
                self._expect(Tok.CLOSE, "'}}' after end")
                return If(tuple(branches), (), opening.offset)
            following = self._peek()
            if following is not None and following.kind is Tok.IDENT and following.value == "if":
                self._pos += 1
                condition = self._pipeline_with_roots()
                self._expect(Tok.CLOSE, "'}}'")
                continue
            self._expect(Tok.CLOSE, "'}}' after else")
            otherwise = self._until_end(opening, "if")
            return If(tuple(branches), otherwise, opening.offset)

    def _scope(self, opening: Token, keyword: Token) -> With | Range:
        value = self._pipeline_with_roots()
        roots = frozenset(self._pipeline_roots)
        self._expect(Tok.CLOSE, "'}}'")
        self._dot_roots.append(roots)
        body, terminator = self._list()
        self._dot_roots.pop()
        self._require_terminator(terminator, opening, str(keyword.value))
        assert terminator is not None
        otherwise: tuple[Node, ...] = ()
        self._expect(Tok.CLOSE, f"'}}}}' after {terminator.value}")
        if terminator.value == "else":
            otherwise = self._until_end(opening, str(keyword.value))
        node_type = With if keyword.value == "with" else Range
        return node_type(value, body, otherwise, opening.offset)

    def _until_end(self, opening: Token, construct: str) -> tuple[Node, ...]:
        nodes, terminator = self._list()
        self._require_terminator(terminator, opening, construct)
        assert terminator is not None
        if terminator.value != "end":
            raise ExpressionSyntaxError(
                f"expected {{{{end}}}}: {{{{{construct}}}}} already has its {{{{else}}}}",
                terminator.offset,
            )
        self._expect(Tok.CLOSE, "'}}' after end")
        return nodes

    @staticmethod
    def _require_terminator(terminator: Token | None, opening: Token, construct: str) -> None:
        if terminator is None:
            raise ExpressionSyntaxError(
                f"{{{{{construct}}}}} is never closed: {{{{end}}}} is missing", opening.offset
            )

    # --- pipelines -----------------------------------------------------------------------------
    def _pipeline_with_roots(self) -> Pipeline:
        self._pipeline_roots = set()
        return self._pipeline()

    def _pipeline(self) -> Pipeline:
        start = self._peek()
        if start is None or start.kind in _END_OF_COMMAND:
            raise ExpressionSyntaxError(
                "missing value in action", start.offset if start else self._source_length
            )
        commands = [self._command(piped=False)]
        while (token := self._peek()) is not None and token.kind is Tok.PIPE:
            self._pos += 1
            commands.append(self._command(piped=True))
        return Pipeline(tuple(commands), start.offset)

    def _command(self, piped: bool) -> Command:
        token = self._peek()
        if token is None or token.kind in _END_OF_COMMAND:
            offset = token.offset if token else self._source_length
            raise ExpressionSyntaxError("missing command after '|'", offset)
        if token.kind is Tok.IDENT and token.value not in _CONSTANTS:
            self._pos += 1
            args: list[Operand] = []
            while (following := self._peek()) is not None and following.kind not in _END_OF_COMMAND:
                args.append(self._operand())
            return self._call(str(token.value), tuple(args), token.offset, piped)
        operand = self._operand()
        following = self._peek()
        if following is not None and following.kind not in _END_OF_COMMAND:
            raise ExpressionSyntaxError(
                "only a function can take arguments; this value is followed by another",
                following.offset,
            )
        if piped:
            raise ExpressionSyntaxError(
                "a value can only be piped into a function", _operand_offset(operand)
            )
        return operand

    def _call(self, name: str, args: tuple[Operand, ...], offset: int, piped: bool) -> Call:
        if name in ("if", "else", "end", "with", "range", *_UNSUPPORTED):
            raise ExpressionSyntaxError(f"'{name}' cannot be used here", offset)
        spec = KNOWN_FUNCTIONS.get(name)
        if spec is None:
            raise ExpressionSyntaxError(f"unknown function '{name}'", offset)
        count = len(args) + (1 if piped else 0)
        if not spec.accepts(count):
            raise ExpressionSyntaxError(f"{name} takes {spec.arity_text()}, got {count}", offset)
        self._functions.add(name)
        return Call(name, args, offset)

    def _operand(self) -> Operand:
        token = self._next()
        if token.kind is Tok.FIELD:
            names = self._field_chain(token)
            if len(self._dot_roots) == 1:
                self._variables.add(names[0])
                self._pipeline_roots.add(names[0])
            else:
                self._pipeline_roots.update(self._dot_roots[-1])
            return Field(names, token.offset)
        if token.kind is Tok.VARIABLE:
            following = self._peek()
            if (
                following is not None
                and following.kind is Tok.FIELD
                and following.offset == token.offset + 1
            ):
                self._pos += 1
                names = self._field_chain(following)
                self._variables.add(names[0])
                self._pipeline_roots.add(names[0])
                return Field(names, token.offset, from_root=True)
            self._pipeline_roots.add(WHOLE_CONTEXT)
            return Field((), token.offset, from_root=True)
        if token.kind is Tok.DOT:
            self._pipeline_roots.update(self._dot_roots[-1])
            return Dot(token.offset)
        if token.kind in (Tok.STRING, Tok.NUMBER):
            value = token.value
            assert isinstance(value, str | int | float)
            return Literal(value, token.offset)
        if token.kind is Tok.IDENT:
            name = str(token.value)
            if name in _CONSTANTS:
                return Literal(_CONSTANTS[name], token.offset)
            call = self._call(name, (), token.offset, piped=False)
            return SubPipeline(Pipeline((call,), token.offset), token.offset)
        if token.kind is Tok.LPAREN:
            self._enter(token)
            pipeline = self._pipeline()
            self._expect(Tok.RPAREN, "')'")
            self._depth -= 1
            return SubPipeline(pipeline, token.offset)
        raise ExpressionSyntaxError(f"unexpected {token.kind.value!r} in action", token.offset)

    def _enter(self, token: Token) -> None:
        self._depth += 1
        if self._depth > MAX_NESTING:
            raise ExpressionSyntaxError(f"nested more than {MAX_NESTING} deep", token.offset)

    def _field_chain(self, first: Token) -> tuple[str, ...]:
        names = [str(first.value)]
        end = first.offset + 1 + len(names[0])
        while (
            (token := self._peek()) is not None and token.kind is Tok.FIELD and token.offset == end
        ):
            names.append(str(token.value))
            end = token.offset + 1 + len(names[-1])
            self._pos += 1
        return tuple(names)


def _operand_offset(operand: Operand) -> int:
    return operand.offset


def _label(roots: frozenset[str]) -> str:
    names = sorted(roots - {WHOLE_CONTEXT})
    if not names:
        return "a value" if roots else "a constant"
    return "the value of " + ", ".join(f".{name}" for name in names)
