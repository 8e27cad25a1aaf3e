"""Safe YAML loading with positions and a cap on aliases and their expansion.

Every YAML document preflight reads (config, sidecars, audiences, workflows)
goes through here, so "YAML is loaded safely" holds in one place.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_ALIASES = 100
MAX_EXPANSION = 100_000
"""Values aliases may add to a document once followed (a few aliases can nest: "billion
laughs"). A document without aliases is bounded by the file size limit alone."""


class YamlError(Exception):
    """A YAML document that cannot be read; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it: the pure-Python one reads about 100 kB a second
(a 6.6 MB preflight.yaml took a minute). Aliases are counted and sized on the composed
nodes (_check_expansion), before anything is constructed, so both parsers are held to
the same limits."""


@dataclass
class YamlDocument:
    data: Any
    node: yaml.Node | None
    _keys: dict[int, dict[Any, tuple[yaml.Node, yaml.Node]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    """Each mapping's keys, indexed the first time a position inside it is asked for: a
    search per question was quadratic (11,000 audiences: 160 s)."""

    def _entry(self, node: yaml.MappingNode, key: Any) -> tuple[yaml.Node, yaml.Node] | None:
        index = self._keys.get(id(node))
        if index is None:
            index = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):  # (a list as a key is never asked for)
                    index.setdefault(key_node.value, (key_node, value_node))
            self._keys[id(node)] = index
        return index.get(key)

    def position(self, *keys: str | int) -> tuple[int, int] | None:
        """1-based (line, column) of the last key of a key path (or the deepest one found)."""
        node = self.node
        found: tuple[int, int] | None = None
        if node is not None:
            found = (node.start_mark.line + 1, node.start_mark.column + 1)
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                entry = self._entry(node, key)
                if entry is None:
                    return found
                key_node, node = entry
                found = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                if key >= len(node.value):
                    return found
                node = node.value[key]
                found = (node.start_mark.line + 1, node.start_mark.column + 1)
            else:
                return found
        return found

    def value_span(self, key: str) -> tuple[int, int, int, int] | None:
        """(line, column, end line, end column) of a top-level key's value, 1-based."""
        if not isinstance(self.node, yaml.MappingNode):
            return None
        entry = self._entry(self.node, key)
        if entry is None:
            return None
        start, end = entry[1].start_mark, entry[1].end_mark
        return start.line + 1, start.column + 1, end.line + 1, end.column + 1


def _check_expansion(root: yaml.Node) -> None:
    """Refuse documents with more than MAX_ALIASES aliases, or whose aliases, followed,
    add more than MAX_EXPANSION values ("billion laughs").

    Composing shares an anchored node among its aliases, so each node is sized once
    (memoised on identity): a node met again is an alias, and the values the document
    expands to, less the distinct nodes written, are what aliases add."""
    sizes: dict[int, int] = {}
    aliases = 0

    def size(node: yaml.Node, depth: int, where: yaml.Node) -> int:
        nonlocal aliases
        key = id(node)
        if key in sizes:
            aliases += 1
            if aliases > MAX_ALIASES:
                mark = where.start_mark
                raise YamlError(
                    f"more than {MAX_ALIASES} aliases; refusing to expand",
                    mark.line + 1,
                    mark.column + 1,
                )
            return sizes[key]
        if depth > 200:
            raise YamlError("document is nested too deeply")
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1, node)
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node, depth + 1, key_node)
                total += size(value_node, depth + 1, key_node)
        sizes[key] = total
        return total

    if size(root, 0, root) - len(sizes) > MAX_EXPANSION:
        mark = root.start_mark
        raise YamlError(
            f"its aliases expand to more than {MAX_EXPANSION:,} extra values",
            mark.line + 1,
            mark.column + 1,
        )


def load_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; raises YamlError with a position on any problem."""
    collecting = gc.isenabled()
    gc.disable()  # a document's many small nodes made the collector's passes superlinear
    loader: Any = None
    try:
        loader = _Loader(text)  # its reader refuses control characters at once
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(node)
        data = loader.construct_document(node) if node is not None else None
    except YamlError:
        raise
    except yaml.reader.ReaderError as error:
        line, column = _line_column(text, _character_offset(text, error.position))
        what = f"#x{error.character:04x}" if isinstance(error.character, int) else "a byte"
        raise YamlError(f"control character {what} is not allowed in YAML", line, column) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or str(error)
        if mark is not None:
            raise YamlError(problem, mark.line + 1, mark.column + 1) from None
        raise YamlError(problem) from None
    except yaml.YAMLError as error:
        raise YamlError(str(error)) from None
    except RecursionError:
        raise YamlError("document is nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as error:  # a value PyYAML cannot construct
        raise YamlError(f"bad value: {error}") from None
    finally:
        if loader is not None:
            loader.dispose()
        if collecting:
            gc.enable()
    return YamlDocument(data, node)


def _character_offset(text: str, position: int) -> int:
    """libyaml reports a reader error's place in UTF-8 bytes; PyYAML's reader in characters."""
    if _Loader is yaml.SafeLoader or text.isascii():
        return position
    return len(text.encode("utf-8", "surrogatepass")[:position].decode("utf-8", "ignore"))


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset, as an editor counts lines (LF, CRLF
    or CR end a line)."""
    before = text[:offset]
    line = 1 + before.count("\n") + before.count("\r") - before.count("\r\n")
    return line, offset - max(before.rfind("\n"), before.rfind("\r"))
