"""The active API profiles as one object, `ApiShape`, that the list and write code asks per aspect
("which envelope for /contracts?", "is `sort` honoured?"). Profiles are declared, with their
effects, in `assumptions.API_PROFILES`; nothing else knows a profile by name."""

from collections.abc import Callable, Iterable

from . import assumptions as A

_ASPECTS = (A.ENVELOPE, A.HAS_FLAGS, A.ITEM_KEYS, A.ITEM_OMIT, A.SORT, A.WRITE_OMIT, A.READ_OMIT, A.DEFAULT_STATUSES,
            A.NULL_VALUE, A.CREATE_DEDUP)


class ProfileError(ValueError):
    """An unknown profile name, or two profiles that contradict each other."""


def known_profiles() -> dict:
    """name -> description, in declaration order."""
    return {name: p.description for name, p in A.API_PROFILES.items()}


class ApiShape:
    """What the active profiles change; with none active, every answer is the default assumption."""

    def __init__(self, names: Iterable[str] = ()):
        names = None if isinstance(names, str) else list(names)  # a bare name is a likely mistake: refused
        if names is None or not all(isinstance(n, str) for n in names):
            raise ProfileError("api profiles must be a list of profile names")
        unknown = [n for n in names if n not in A.API_PROFILES]
        if unknown:
            raise ProfileError(f"unknown API profile {', '.join(map(repr, unknown))} "
                               f"(known: {', '.join(A.API_PROFILES)})")
        self.names = tuple(n for n in A.API_PROFILES if n in names)  # declaration order, once each
        self._effects: dict = {}
        self._derived: dict = {}
        setters: dict = {}
        for name in self.names:
            for aspect, target, value in A.API_PROFILES[name].effects:
                key = (aspect, target)
                if key in self._effects and self._effects[key] != value:
                    where = "every list" if target == "*" else target
                    raise ProfileError(f"API profiles {setters[key]!r} and {name!r} cannot be active together "
                                       f"(both set the {aspect} of {where})")
                self._effects[key], setters[key] = value, name

    def derived(self, key, build: Callable):
        """A value computed from this shape once (a shape never changes: PUT replaces it whole), so
        a request pays a lookup, not the computation."""
        value = self._derived.get(key)
        if value is None:
            value = self._derived[key] = build()
        return value

    def _get(self, aspect: str, target: str, default=None):
        return self._effects.get((aspect, target), self._effects.get((aspect, "*"), default))

    # --- lists ---

    def envelope(self, path: str, native: str) -> str:
        """"camel", "snake", "intro" or "intro-next": the list's own envelope unless a profile imposes one."""
        return self._get(A.ENVELOPE, path, native)

    def has_flags(self, path: str) -> bool:
        return self._get(A.HAS_FLAGS, path, True)

    def item_view(self, path: str) -> Callable | None:
        """record -> the list item served, or None when items are served whole (the fast path)."""
        keep, omit = self._get(A.ITEM_KEYS, path), self._get(A.ITEM_OMIT, path, ())
        if keep is None and not omit:
            return None
        return lambda rec: {k: v for k, v in rec.items() if (keep is None or k in keep) and k not in omit}

    def filter_modes(self, path: str, params: Iterable[str]) -> dict:
        """param -> "ignored" | "refused" | "eq-only" for the filters of `path` a profile changes."""
        return {p: mode for p in params if (mode := self._get(A.FILTER + p, path)) is not None}

    def default_statuses(self, path: str) -> tuple | None:
        """The statuses a list served without `status` is limited to (None: every status)."""
        return self._get(A.DEFAULT_STATUSES, path)

    def sort_honoured(self, path: str) -> bool:
        return self._get(A.SORT, path) != "ignored"

    # --- writes ---

    def write_echo(self, path: str, rec: dict) -> dict:
        """The create / PATCH response of a record of `path` (the stored record is unchanged)."""
        omit = self._get(A.WRITE_OMIT, path, ())
        return {k: v for k, v in rec.items() if k not in omit} if omit else rec

    def read_omit(self, path: str) -> tuple:
        """The keys GET {path}/{id} leaves out (none: the stored record is served whole, the fast path)."""
        return self._get(A.READ_OMIT, path, ())

    def null_keeps_value(self, path: str) -> bool:
        return self._get(A.NULL_VALUE, path) == "kept"

    def dedups_creates(self, path: str) -> bool:
        return self._get(A.CREATE_DEDUP, path) is not None


def _check_registry() -> None:
    # a typo in an effect's aspect would silently change nothing: refuse it at import
    for p in A.API_PROFILES.values():
        for aspect, _, _ in p.effects:
            if aspect not in _ASPECTS and not aspect.startswith(A.FILTER):
                raise AssertionError(f"profile {p.name}: unknown aspect {aspect!r}")


_check_registry()
