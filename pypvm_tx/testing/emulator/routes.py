"""A route table: HTTP method and path pattern to a handler function."""

import re
from typing import Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple

#: The method of a route that takes any method its pattern has no
#: route of its own for.
ANY_METHOD = "*"


class RouteMatch(NamedTuple):
    """A path that matched a pattern: the handler for the request's
    method (None: the pattern has none) and the pattern's named groups."""

    handler: Optional[Callable]
    params: Dict[str, str]


class RouteTable:
    """Routes ``(method, pattern, handler)``; a pattern is a regular
    expression the whole path must match, tried in the order given."""

    def __init__(self, routes: Iterable[Tuple[str, str, Callable]]):
        self._patterns: List[Tuple[re.Pattern, Dict[str, Callable]]] = []
        by_pattern: Dict[str, Dict[str, Callable]] = {}
        for method, pattern, handler in routes:
            if pattern not in by_pattern:
                by_pattern[pattern] = {}
                self._patterns.append((re.compile(pattern),
                                       by_pattern[pattern]))
            by_pattern[pattern][method] = handler

    def match(self, method: str, path: str) -> Optional[RouteMatch]:
        """The first pattern ``path`` matches, or None."""
        for pattern, handlers in self._patterns:
            found = pattern.fullmatch(path)
            if found is not None:
                handler = handlers.get(method) or handlers.get(ANY_METHOD)
                return RouteMatch(handler, found.groupdict())
        return None
