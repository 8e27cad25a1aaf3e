"""The sandbox correction templates run in: users bring their own with ``--templates``.

jinja2's immutable sandbox keeps a template away from Python's internals, but not
from the machine's time and memory: nested ``range(100000)`` loops, ``((9**64)**64)**64``,
``'x'|center(10**9)`` or ``'{:>1000000000}'.format(1)`` each run for minutes or take
gigabytes. This one bounds every way a template can make work:

- each value it builds (an operator's result, a call's, a filter's) has at most
  ``MAX_SIZE`` characters or items, and integers at most ``MAX_INT_BITS`` bits; a width,
  count or precision over ``MAX_SIZE`` is refused before anything is built;
- ``range()`` gives at most ``MAX_RANGE`` numbers, and all of one render's together
  at most ``MAX_RANGE_TOTAL`` (nested loops multiply);
- a rendered page, and any block a template buffers (a macro's body, ``{% set %}…``,
  ``~`` joins), has at most ``MAX_OUTPUT`` characters;
- a render stops after ``MAX_SECONDS`` (a trace function watches the clock on every
  line the template runs, so no loop escapes it; templates it includes or imports are
  compiled on that clock);
- a template file has at most ``MAX_TEMPLATE_BYTES``; ``lipsum()`` is not offered.

What goes over a bound raises ``SecurityError`` (or ``RenderTimeout``), which the
command reports as one line.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
import string
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import FrameType
from typing import Any

from jinja2 import FileSystemLoader
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.nodes import Concat
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SIZE = 100_000
"""The most characters or items of any one value a template builds."""
MAX_INT_BITS = 4_096
"""The largest integer a template may compute (about 1,200 digits)."""
MAX_RANGE = 10_000
"""The most numbers one ``range()`` may give."""
MAX_RANGE_TOTAL = 100_000
"""The most numbers all ``range()`` calls of one render may give together."""
MAX_OUTPUT = 1_000_000
"""The most characters a rendered page, or a block a template buffers, may have."""
MAX_SECONDS = 5.0
"""How long one page may take to render."""
MAX_TEMPLATE_BYTES = 256 * 1024
"""The largest template file read."""


class RenderTimeout(BaseException):
    """The render ran out of time. A BaseException, so that no ``except Exception`` inside
    jinja2 or a template's own call can swallow it and run on untimed."""


def weight(value: Any, limit: int = MAX_SIZE) -> int:
    """How big ``value`` is: characters of a string, items of a container counted through
    nested containers; stops counting just past ``limit`` (shared lists are cheap to build
    and costly to print)."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, Mapping):
        value = [*value.keys(), *value.values()]
    if not isinstance(value, (list, tuple, set, frozenset)):
        return 1
    total = 0
    for item in value:
        total += 1 if isinstance(item, (int, float)) else weight(item, limit - total)
        if total > limit:
            break
    return total


def _too_big(what: str) -> SecurityError:
    return SecurityError(f"{what} would be longer than {MAX_SIZE:,} characters or items")


def _check_size(value: Any, what: str = "the result") -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise SecurityError(f"{what} would be a number of more than {MAX_INT_BITS:,} bits")
    elif weight(value) > MAX_SIZE:
        raise _too_big(what)
    return value


def _check_counts(args: Iterable[Any], what: str) -> None:
    """Widths, counts and precisions: none over MAX_SIZE."""
    for value in args:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SIZE:
            raise SecurityError(f"{what}: {_short(value)} is over the limit of {MAX_SIZE:,}")


def _short(number: int) -> str:
    if number.bit_length() > 64:
        return f"a number of {number.bit_length():,} bits"
    return f"{number:,}"


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?")


def _check_printf(form: str, values: Any) -> None:
    """``'%0999999999d' % 1``: a width or precision over MAX_SIZE is refused."""
    starred = False
    for match in _PRINTF.finditer(form):
        for group in match.groups():
            if group == "*":
                starred = True
            elif group and (len(group) > 6 or int(group) > MAX_SIZE):
                raise SecurityError(f"a format width of {group} is over the limit of {MAX_SIZE:,}")
    if starred:
        _check_counts(values if isinstance(values, tuple) else (values,), "a format width")


def _check_format_spec(form: str) -> None:
    """``'{:>1000000000}'.format(1)``: widths and precisions in a format string."""
    try:
        fields = list(string.Formatter().parse(form))
    except ValueError:
        return  # malformed: str.format says so itself
    for _, _, spec, _ in fields:
        for number in re.findall(r"\d+", spec or ""):
            if len(number) > 6 or int(number) > MAX_SIZE:
                raise SecurityError(f"a format width of {number} is over the limit of {MAX_SIZE:,}")
        if spec and "{" in spec:
            _check_format_spec(spec)


def _expansion(name: str, value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """How long a filter's or string method's result could get, before it is built."""
    text = str(value) if isinstance(value, str) else ""
    arguments = [*args, *kwargs.values()]
    strings = [a for a in arguments if isinstance(a, str)]
    longest = max((len(s) for s in strings), default=0)
    if name == "replace" and len(strings) >= 2:
        old, new = strings[0], strings[1]
        found = text.count(old) if old else len(text) + 1
        return len(text) + found * len(new)
    if name in ("indent", "wordwrap"):
        return len(text) + (text.count("\n") + 1) * max(longest, 1) * 2
    if name == "expandtabs":
        size = next((a for a in arguments if isinstance(a, int)), 8)
        return len(text) + text.count("\t") * max(size, 0)
    return len(text) + longest


class _Generator(CodeGenerator):
    """jinja2's code generator, with ``a ~ b`` joined through the environment's bounded join
    (the only way to build a string that neither an operator nor a call makes)."""

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.bounded_join({join}, (")
        for item in node.nodes:
            self.visit(item, frame)
            self.write(", ")
        self.write("))")


class Loader(FileSystemLoader):
    """Templates from folders, each at most MAX_TEMPLATE_BYTES (a template named on the
    command line could be a 10 GB file)."""

    def get_source(self, environment: Any, template: str) -> Any:
        for folder in self.searchpath:
            path = os.path.join(folder, template)
            with contextlib.suppress(OSError):
                status = os.stat(path)
                if stat.S_ISREG(status.st_mode) and status.st_size > MAX_TEMPLATE_BYTES:
                    raise SecurityError(
                        f"the template file is {status.st_size:,} bytes, over the limit of"
                        f" {MAX_TEMPLATE_BYTES:,}"
                    )
                break
        return super().get_source(environment, template)


class Sandbox(ImmutableSandboxedEnvironment):
    """jinja2's immutable sandbox with every operator, call, filter, range, buffer and page
    bounded (see the module's docstring). One instance renders one correction."""

    code_generator_class = _Generator
    intercepted_binops = frozenset({"+", "*", "**", "%", "//", "/", "-"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.ranged = 0
        self.globals.pop("lipsum", None)
        self.globals["range"] = self._range
        self.filters = {name: self._bounded_filter(name, f) for name, f in self.filters.items()}

    # -- ranges -------------------------------------------------------------------------
    def _range(self, *args: int) -> range:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise SecurityError(
                f"range() of {len(numbers):,} numbers is over the limit of {MAX_RANGE:,}"
            )
        self.ranged += len(numbers)
        if self.ranged > MAX_RANGE_TOTAL:
            raise SecurityError(
                f"the ranges of one render give more than {MAX_RANGE_TOTAL:,} numbers"
                " (nested loops multiply)"
            )
        return numbers

    # -- operators ----------------------------------------------------------------------
    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            if abs(left) > 1 and right > 0 and left.bit_length() * right > MAX_INT_BITS:
                raise SecurityError(
                    f"the result would be a number of more than {MAX_INT_BITS:,} bits"
                )
        elif operator == "*":
            self._check_product(left, right)
        elif operator == "+" and not isinstance(left, (int, float)):
            if weight(left) + weight(right) > MAX_SIZE:
                raise _too_big("the result")
        elif operator == "%" and isinstance(left, str):
            _check_printf(left, right)
        result = super().call_binop(context, operator, left, right)
        return _check_size(result)

    @staticmethod
    def _check_product(left: Any, right: Any) -> None:
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise SecurityError(
                    f"the result would be a number of more than {MAX_INT_BITS:,} bits"
                )
            return
        sized, count = (left, right) if isinstance(right, int) else (right, left)
        repeats = isinstance(count, int) and isinstance(sized, (str, list, tuple))
        if repeats and count > 0 and weight(sized) * count > MAX_SIZE:
            raise _too_big("the result")

    # -- calls, str.format --------------------------------------------------------------
    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        name = getattr(__obj, "__name__", "")
        # str.format arrives wrapped by the sandbox (wrap_str_format): judge what it wraps
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(owner, (str, bytes, list, tuple, dict)):
            # a method of a built-in value ('x'.center(n), 'x'.zfill(n)): its numbers are
            # widths and counts; a macro's numbers are data, and range() counts itself
            numbers = [*args, *kwargs.values()]
            if name == "format_map" and args and isinstance(args[0], Mapping):
                numbers.extend(args[0].values())
            _check_counts(numbers, f"{name}()")
            if isinstance(owner, str) and _expansion(name, owner, args, kwargs) > MAX_SIZE:
                raise _too_big(f"{name}()")
        for value in (*args, *kwargs.values()):
            _check_size(value, "an argument")
        return _check_size(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format_spec(value.__self__)
        return wrapped

    # -- filters ------------------------------------------------------------------------
    def _bounded_filter(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        passed = 1 if hasattr(function, "jinja_pass_arg") else 0

        @functools.wraps(function)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            value, options = args[passed] if len(args) > passed else None, args[passed + 1 :]
            _check_counts((*options, *kwargs.values()), f"|{name}")
            if name == "format" and isinstance(value, str):
                _check_printf(value, options or tuple(kwargs.values()))
            if _expansion(name, value, options, kwargs) > MAX_SIZE:
                raise _too_big(f"|{name}")
            return _check_size(function(*args, **kwargs), f"|{name}")

        return bounded

    # -- buffers and joins --------------------------------------------------------------
    def concat(self, pieces: Iterable[str]) -> str:
        """What a macro, a ``{% set %}`` block or a filter block buffered, joined: never more
        than MAX_OUTPUT characters."""
        kept = list(pieces) if not isinstance(pieces, list) else pieces
        if sum(len(piece) for piece in kept) > MAX_OUTPUT:
            raise SecurityError(f"a block would be longer than {MAX_OUTPUT:,} characters")
        return "".join(kept)

    @staticmethod
    def bounded_join(join: Callable[[Iterable[Any]], str], values: tuple[Any, ...]) -> str:
        total = 0
        for value in values:
            total += (
                len(str(value)) if isinstance(value, (int, float)) else weight(value, MAX_OUTPUT)
            )
            if total > MAX_OUTPUT:
                raise SecurityError(f"a ~ join would be longer than {MAX_OUTPUT:,} characters")
        return join(values)


def render_page(environment: Sandbox, name: str, context: Mapping[str, Any]) -> str:
    """The template ``name`` rendered with ``context``, within MAX_OUTPUT characters and
    MAX_SECONDS. Compiling runs before the clock (a template file has at most
    MAX_TEMPLATE_BYTES, and jinja2's compiler is linear in them; traced, it costs 2.5x)."""
    template = environment.get_template(name)
    out: list[str] = []
    size = 0
    with deadline(MAX_SECONDS):
        for piece in template.generate(context):
            size += len(piece)
            if size > MAX_OUTPUT:
                raise SecurityError(f"the page would be longer than {MAX_OUTPUT:,} characters")
            out.append(piece)
    return "".join(out)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise RenderTimeout in whatever line runs after ``seconds`` (this thread only)."""
    end = time.monotonic() + seconds
    previous = sys.gettrace()

    def watch(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == __file__:
            return None  # never in this module's own frames: the clean-up must run
        if time.monotonic() > end:
            raise RenderTimeout(f"it ran for more than {seconds:g} seconds")
        return watch

    sys.settrace(watch)
    try:
        yield
    finally:
        sys.settrace(previous)
