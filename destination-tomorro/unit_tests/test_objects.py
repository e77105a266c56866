"""objects/: the registry of object kinds; every kind complete, and the generic modules never naming one."""

import re
from pathlib import Path

import pytest
from destination_tomorro.objects import KINDS, OBJECT_ALIASES, OBJECT_NAMES, kind_named
from destination_tomorro.objects.kind import ObjectKind
from destination_tomorro.stream_mapping import StreamMapping

PACKAGE = Path(__file__).resolve().parents[1] / "destination_tomorro"


def test_kinds_are_written_after_the_kinds_they_refer_to():
    seen: set[str] = set()
    for kind in KINDS:
        assert set(kind.refers_to) <= seen, f"{kind.name} is written before {set(kind.refers_to) - seen}"
        seen.add(kind.name)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_every_kind_gives_every_fact(kind):
    facts = [name for name in ObjectKind.__annotations__ if not hasattr(kind, name)]
    assert not facts, f"{kind.name} lacks {facts}"
    assert set(kind.targets) <= set(kind.reserved_columns)  # a target is a reserved column
    assert kind.key_role in set(kind.reserved_columns.values())
    assert set(kind.required_columns) <= set(kind.column_schema)


def test_names_and_aliases_are_one_object_each():
    spellings = [name for kind in KINDS for name in (kind.name, *kind.aliases)]
    assert len(spellings) == len(set(spellings))
    for kind in KINDS:
        for spelling in (kind.name, *kind.aliases):
            assert kind_named(spelling) is kind and kind_named(spelling.upper()) is kind
            assert OBJECT_ALIASES.get(spelling, spelling) == kind.name
    assert kind_named("deal") is None


def test_the_config_offers_the_registrys_objects():
    schema = StreamMapping.model_json_schema()
    assert tuple(schema["properties"]["object"]["enum"]) == OBJECT_NAMES
    assert StreamMapping(stream="s", object=KINDS[0].aliases[0].upper()).object == KINDS[0].name


def test_only_the_object_modules_name_an_object():
    """The generic modules ask the route's kind: none names a kind's constant or branches on a name."""
    names = "|".join(re.escape(name) for name in OBJECT_NAMES)
    constant = re.compile(r"\b(" + "|".join(n.upper() for n in OBJECT_NAMES) + r")\b")
    branch = re.compile(rf"""[=!]=\s*["']({names})["']|["']({names})["']\s*[=!]=""")
    found = [f"{path.name}:{number}: {line.strip()}"
             for path in PACKAGE.glob("*.py")
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if constant.search(line) or branch.search(line)]
    assert not found, "\n".join(found)
