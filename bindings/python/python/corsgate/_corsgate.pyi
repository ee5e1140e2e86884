"""Type stubs of the native module (checked against it by mypy.stubtest)."""

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Literal, TypeAlias, final

__all__ = [
    "CORE_VERSION",
    "MAX_ORIGIN_LEN",
    "MAX_REQUEST_HEADERS_LEN",
    "MAX_REQUEST_HEADERS_LINES",
    "MAX_REQUEST_METHOD_LEN",
    "Decision",
    "Explanation",
    "LintWarning",
    "Policy",
    "PolicyError",
    "Problem",
    "__version__",
    "is_cors_response_header",
    "is_valid_origin",
]

__version__: Final[str]
CORE_VERSION: Final[str]
MAX_ORIGIN_LEN: Final[int]
MAX_REQUEST_METHOD_LEN: Final[int]
MAX_REQUEST_HEADERS_LEN: Final[int]
MAX_REQUEST_HEADERS_LINES: Final[int]

_HeaderText: TypeAlias = str | bytes
_Headers: TypeAlias = (
    Mapping[str, str]
    | Mapping[bytes, bytes]
    | Iterable[tuple[_HeaderText, _HeaderText]]
    | Iterable[list[_HeaderText]]
)
_OriginPredicate = Callable[[str], object]
_OriginPredicates: TypeAlias = _OriginPredicate | Mapping[str, _OriginPredicate]
_Kind = Literal["not-cors", "preflight", "actual"]
_Reason = Literal[
    "origin-not-allowed",
    "invalid-origin",
    "method-not-allowed",
    "invalid-method",
    "header-not-allowed",
    "invalid-request-headers",
]

def is_valid_origin(origin: _HeaderText) -> bool: ...
def is_cors_response_header(name: _HeaderText) -> bool: ...

class PolicyError(ValueError):
    """A policy that cannot be built; ``errors`` holds every problem found."""

    errors: tuple[Problem, ...]

@final
class Problem:
    @property
    def code(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def fix(self) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class LintWarning:
    @property
    def code(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def fix(self) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Explanation:
    @property
    def reason(self) -> _Reason: ...
    @property
    def summary(self) -> str: ...
    @property
    def chrome(self) -> str: ...
    @property
    def firefox(self) -> str: ...
    @property
    def fix(self) -> str: ...

@final
class Decision:
    @property
    def kind(self) -> _Kind: ...
    @property
    def allowed(self) -> bool: ...
    @property
    def status(self) -> int | None: ...
    @property
    def reason(self) -> _Reason | None: ...
    @property
    def headers(self) -> list[tuple[str, str]]: ...
    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]: ...
    @property
    def vary(self) -> list[str]: ...
    @property
    def content_length(self) -> str | None: ...
    def apply(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]: ...
    def apply_raw(self, headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]: ...
    def merge_vary(self, current: str | None) -> str | None: ...
    def explain(self, url: str = "") -> Explanation | None: ...

@final
class Policy:
    def __new__(
        cls,
        *,
        origins: Iterable[str] | None = None,
        credentials: bool | None = None,
        methods: Iterable[str] | None = None,
        request_headers: Iterable[str] | None = None,
        expose_headers: Iterable[str] | None = None,
        max_age: int | None = None,
        preflight_status: int | None = None,
        refused_preflight_status: int | None = None,
        private_network: Mapping[str, Any] | None = None,
        dangerous: Mapping[str, bool] | None = None,
        format: Mapping[str, str | bool] | None = None,
        origin_predicate: _OriginPredicate | None = None,
    ) -> Policy: ...
    @staticmethod
    def from_dict(
        policy: Mapping[str, Any], *, origin_predicate: _OriginPredicates | None = None
    ) -> Policy: ...
    @staticmethod
    def from_json(text: str, *, origin_predicate: _OriginPredicates | None = None) -> Policy: ...
    @staticmethod
    def from_toml(text: str, *, origin_predicate: _OriginPredicates | None = None) -> Policy: ...
    @staticmethod
    def from_file(
        path: str | os.PathLike[str], *, origin_predicate: _OriginPredicates | None = None
    ) -> Policy: ...
    def decide(
        self,
        method: _HeaderText,
        headers: _Headers | None = None,
        *,
        path: _HeaderText | None = None,
    ) -> Decision: ...
    def decide_values(
        self,
        method: _HeaderText,
        origin: _HeaderText | None = None,
        request_method: _HeaderText | None = None,
        request_headers: _HeaderText | None = None,
        private_network: _HeaderText | None = None,
        *,
        path: _HeaderText | None = None,
    ) -> Decision: ...
    def lint(self) -> list[LintWarning]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def policy_for(self, path: _HeaderText) -> Policy | None: ...
    @property
    def has_routes(self) -> bool: ...
    @property
    def routes(self) -> list[tuple[str, Policy | None]]: ...
    @property
    def credentials(self) -> bool: ...
    @property
    def is_any_origin(self) -> bool: ...
    @property
    def has_origin_predicate(self) -> bool: ...
