"""Safe YAML loading with positions and a cap on alias expansion.

Every YAML document preflight reads (config, sidecars, audiences, workflows)
goes through here, so "YAML is loaded safely" holds in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

MAX_ALIASES = 100
MAX_NODES = 100_000
"""Nodes a document may expand to once aliases are followed (a few aliases can nest)."""


class YamlError(Exception):
    """A YAML document that cannot be read; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses documents with more than MAX_ALIASES aliases."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlError(
                    f"more than {MAX_ALIASES} aliases; refusing to expand",
                    mark.line + 1,
                    mark.column + 1,
                )
        return super().compose_node(parent, index)


@dataclass
class YamlDocument:
    data: Any
    node: yaml.Node | None

    def position(self, *keys: str | int) -> tuple[int, int] | None:
        """1-based (line, column) of the last key of a key path (or the deepest one found)."""
        node = self.node
        found: tuple[int, int] | None = None
        if node is not None:
            found = (node.start_mark.line + 1, node.start_mark.column + 1)
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == key:
                        found = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                        node = value_node
                        break
                else:
                    return found
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
        for key_node, value_node in self.node.value:
            if key_node.value == key:
                start, end = value_node.start_mark, value_node.end_mark
                return start.line + 1, start.column + 1, end.line + 1, end.column + 1
        return None


def _check_expansion(root: yaml.Node) -> None:
    """Refuse documents whose aliases expand beyond MAX_NODES (nested "billion laughs")."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if depth > 200:
            raise YamlError("document is nested too deeply")
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
                if total > MAX_NODES:
                    break
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node, depth + 1) + size(value_node, depth + 1)
                if total > MAX_NODES:
                    break
        sizes[key] = total
        return total

    if size(root, 0) > MAX_NODES:
        mark = root.start_mark
        raise YamlError(
            f"document expands to more than {MAX_NODES:,} values through its aliases",
            mark.line + 1,
            mark.column + 1,
        )


def load_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; raises YamlError with a position on any problem."""
    loader: _LimitedLoader | None = None
    try:
        loader = _LimitedLoader(text)  # its reader refuses control characters at once
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(node)
        data = loader.construct_document(node) if node is not None else None
    except YamlError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or str(error)
        if mark is not None:
            raise YamlError(problem, mark.line + 1, mark.column + 1) from None
        raise YamlError(problem) from None
    except yaml.reader.ReaderError as error:
        line, column = _line_column(text, error.position)
        what = f"#x{error.character:04x}" if isinstance(error.character, int) else "a byte"
        raise YamlError(f"control character {what} is not allowed in YAML", line, column) from None
    except yaml.YAMLError as error:
        raise YamlError(str(error)) from None
    except RecursionError:
        raise YamlError("document is nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as error:  # a value PyYAML cannot construct
        raise YamlError(f"bad value: {error}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return YamlDocument(data, node)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset, as an editor counts lines (LF, CRLF
    or CR end a line)."""
    before = text[:offset]
    line = 1 + before.count("\n") + before.count("\r") - before.count("\r\n")
    return line, offset - max(before.rfind("\n"), before.rfind("\r"))
