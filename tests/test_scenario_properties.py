"""Mangled scenario files: the loader accepts them or says what is wrong, and nothing else.

Property: for any file, :func:`load_scenario` returns a :class:`Scenario` or raises
:class:`InputError` whose one-line message names the file, the key path (for anything
below the top level of a parsable document) and what was expected. The targeted cases
at the end pin the exact key path and suggestion for each bad input listed in the issue.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from simulation.calendar import Calendar
from simulation.errors import InputError, did_you_mean
from simulation.instruments import INSTRUMENT_TYPES
from simulation.instruments.base import CREATION_LIMIT
from simulation.params import MODEL_PARAMS
from simulation.regions import get_region, region_codes
from simulation.scenario import Scenario, load_scenario

# A complete scenario in one file, as scenarios/vouchers_and_hubs.toml was before the
# shipped files used ``extends`` (kept here so the properties do not move with them).
VOUCHERS_TEXT = """\
# Illustrative policy mix
[scenario]
name = "vouchers_and_hubs"
description = "Innovation vouchers in IE04 and a matchmaking hub in ES13, 2019-2022"
regions = "all"
start_year = 2018
end_year = 2025
burn_in_years = 5
replicates = 10
seed = 20180601
scale = 1.0

[[instruments]]
type = "innovation_voucher"
name = "IE04 innovation vouchers"
regions = ["IE04"]
start = "2019Q1"
end = "2022Q4"
budget_per_year = 1_000_000    # EUR: 200 vouchers of EUR 5,000 a year
voucher_value = 5000

[[instruments]]
type = "matchmaking"
name = "ES13 digital innovation hub"
regions = ["ES13"]
start = "2019Q1"
end = "2022Q4"
budget_per_year = 400_000
sectors = ["manufacturing", "agrifood", "marine"]
"""
VOUCHERS = tomllib.loads(VOUCHERS_TEXT)
SMALL = {
    "scenario": {"name": "t", "regions": ["IE04", "ES13"], "start_year": 2018,
                 "end_year": 2022, "burn_in_years": 2, "replicates": 2, "seed": 1,
                 "scale": 0.05},
    "model": {"search_breadth": 6},
    "instruments": [{"type": "innovation_voucher", "regions": ["IE04"], "start": "2019Q1",
                     "end": "2021Q4", "budget_per_year": 100000, "sectors": ["marine"]}],
}
CODES = region_codes()
SECTORS = sorted({s for code in CODES for s in get_region(code).sectors})
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def examples(n: int) -> settings:
    """``n`` examples, no deadline (loading touches the region registry once)."""
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- a tiny TOML writer (no tomli-w here) for the value types the tests use ----------

def dumps(doc: dict) -> str:
    """TOML text for ``doc``: tables become sections, lists of tables arrays of tables."""
    lines, sections = [], []
    for key, value in doc.items():
        if isinstance(value, dict):
            sections += [f"[{_key(key)}]", *_entries(value)]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                sections += [f"[[{_key(key)}]]", *_entries(item)]
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    return "\n".join(lines + sections) + "\n"


def _entries(table: dict) -> list[str]:
    return [f"{_key(k)} = {_value(v)}" for k, v in table.items()]


def _key(key: str) -> str:
    return _string(key)


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")


# --- strategies ----------------------------------------------------------------------

WEIRD_QUARTERS = ["2031Q1", "2019Q5", "19Q1", "", "2019Q0", "2019q1", "Q1 2019", "2019-Q1",
                  "1999Q4", "2051Q1", " 2019Q1 ", "2019Q1\n", "２０１９Q1", "2019Q10"]
scalars = st.one_of(
    st.text(max_size=10),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), -1, 0, -0.0, 0.5, 1e308,
                     2**63, 2**64, 10**400, -(10**30), 1.5, 2018.0]),
    st.dates(min_value=date(1000, 1, 1)),
    st.datetimes(min_value=datetime(1000, 1, 1)),
    st.sampled_from([*WEIRD_QUARTERS, *CODES, *SECTORS, *INSTRUMENT_TYPES, "all", "ALL",
                     "ES31", "ie04", "innovation_vocher", "[/bold]", ":smile:", "a\nb"]),
)
weird_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=6), scalars, max_size=2),
    st.lists(st.dictionaries(st.sampled_from(["type", "a", "regions"]), scalars, max_size=2),
             min_size=1, max_size=2),
)


@st.composite
def typos(draw, word: str) -> str:
    """``word`` with one character dropped, swapped, doubled or replaced; or other text."""
    how = draw(st.sampled_from(["drop", "swap", "double", "replace", "case", "text"]))
    if how == "text" or not word:
        return draw(st.text(max_size=12))
    i = draw(st.integers(0, len(word) - 1))
    if how == "drop":
        return word[:i] + word[i + 1:]
    if how == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    if how == "case":
        return word.upper() if word != word.upper() else word.lower()
    return word[:i] + draw(st.characters()) + word[i + 1:]


def _paths(node, prefix=()):
    """Every path (tuple of keys and indices) below ``node``."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
        node, list) else ()
    for key, child in items:
        yield prefix + (key,)
        yield from _paths(child, prefix + (key,))


def _at(doc, path):
    for step in path:
        doc = doc[step]
    return doc


def _targeted(draw, key, old):
    """A replacement aimed at what a key means (quarters, regions, sectors, type)."""
    if key in ("start", "end"):
        return draw(st.sampled_from(WEIRD_QUARTERS) | st.dates() | typos(str(old)))
    if key == "regions":
        codes = old if isinstance(old, list) and old else ["IE04"]
        return draw(st.sampled_from([
            codes + codes[:1], codes + ["ES31"], ["XX99"], [], "IE04", "ALL", [c.lower() for c in
            map(str, codes)], ["IE04", "RO42", "BG33"]]))
    if key == "sectors":
        return draw(st.lists(st.sampled_from(SECTORS + ["fintch", ""]), max_size=3)
                    | st.sampled_from(SECTORS))
    if key == "type":
        return draw(typos(str(old)) | st.text(max_size=20))
    if key in ("budget_per_year", "scale", "seed", "replicates"):
        return draw(st.sampled_from([-1, -0.5, "lots", float("nan"), float("inf"), 10**400,
                                     2**64, True, [1], {"a": 1}, 1.5]))
    return draw(weird_values)


@st.composite
def mangled(draw, base):
    """``base`` after one to three mangles: delete, rename, retype, duplicate, add."""
    doc = copy.deepcopy(draw(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        at_root = not paths or draw(st.integers(0, 9)) == 0  # unknown top-level keys hide
        path = () if at_root else draw(st.sampled_from(paths))  # everything else: rarely
        node = _at(doc, path)
        parent = _at(doc, path[:-1]) if path else None
        ops = ["add"] if isinstance(node, dict) else []
        if path:
            ops += ["delete", "replace", "replace", "targeted"]
            if isinstance(parent, dict):
                ops.append("rename")
            if isinstance(parent, list):
                ops.append("duplicate")
        if isinstance(node, list):
            ops.append("append")
        op = draw(st.sampled_from(ops))
        if op == "add":
            known = sorted({"budget_per_year", "type", "regions", "name", *MODEL_PARAMS})
            new_key = draw(st.text(min_size=1, max_size=8) | st.sampled_from(known).flatmap(typos))
            node[new_key] = draw(weird_values)
        elif op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            parent[path[-1]] = draw(weird_values)
        elif op == "targeted":
            key = next((s for s in reversed(path) if isinstance(s, str)), "")
            parent[path[-1]] = _targeted(draw, key, node)
        elif op == "rename":
            new = draw(typos(path[-1]))
            parent[new] = parent.pop(path[-1])
        elif op == "duplicate":
            parent.append(copy.deepcopy(node))
        elif op == "append":
            node.append(draw(weird_values | st.sampled_from([*CODES, "ES31", *SECTORS])))
    return doc


@st.composite
def valid_docs(draw):
    """A valid scenario document: regions, horizon, model overrides and instruments."""
    use_all = draw(st.booleans())
    regions = list(CODES) if use_all else draw(
        st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True))
    start = draw(st.integers(2000, 2030))
    end = draw(st.integers(start, min(start + 6, 2050)))
    burn = draw(st.integers(0, 3))
    head = {
        "name": draw(st.text(st.characters(exclude_categories=("Cs", "Cc"),
                                           exclude_characters="/\\"), min_size=1, max_size=12)
                     .filter(lambda s: s.strip() and s not in (".", ".."))),
        "regions": "all" if use_all else regions,
        "start_year": start, "end_year": end, "burn_in_years": burn,
        "replicates": draw(st.integers(1, 100)),
        "seed": draw(st.integers(0, 2**63 - 1)),
        "scale": draw(st.floats(1e-6, 1.0) | st.just(1)),
    }
    optional = ["replicates", "seed", "scale"] + (["regions"] if use_all else [])
    for key in draw(st.lists(st.sampled_from(optional), unique=True, max_size=2)):
        del head[key]  # defaults apply
    doc = {"scenario": head}
    model = draw(st.dictionaries(st.sampled_from(sorted(MODEL_PARAMS)), st.none(), max_size=3))
    if model:
        doc["model"] = {name: draw(_param_values(MODEL_PARAMS[name])) for name in model}
    calendar = Calendar.for_horizon(start, end, burn)
    instruments = [draw(_valid_instrument(regions, calendar, k))
                   for k in range(draw(st.integers(0, 3)))]
    if instruments:
        doc["instruments"] = instruments
    return doc


def _param_values(param):
    if param.integer:
        return st.integers(int(param.low), int(param.high))
    return st.floats(param.low, param.high) | st.just(param.low) | st.just(param.high)


@st.composite
def _valid_instrument(draw, regions, calendar, k):
    """A valid instrument: a distinct name (ending in its position ``k``) and no more
    start-ups a year than the smallest of its regions holds digital SMEs."""
    kind = draw(st.sampled_from(sorted(INSTRUMENT_TYPES)))
    declared = INSTRUMENT_TYPES[kind].declared_params()
    where = draw(st.lists(st.sampled_from(regions), min_size=1, max_size=3, unique=True))
    common = sorted(set.intersection(*(set(get_region(r).sectors) for r in where)))
    q0 = draw(st.integers(0, calendar.n_quarters - 1))
    q1 = draw(st.integers(q0, calendar.n_quarters - 1))
    item = {"type": kind,
            "name": draw(st.text(min_size=1, max_size=10).filter(str.strip)) + f" {k}",
            "regions": where,
            "start": calendar.label(q0), "end": calendar.label(q1),
            "sectors": draw(st.lists(st.sampled_from(common), unique=True, max_size=3))
            if common else [],
            "budget_per_year": draw(_param_values(declared["budget_per_year"]))}
    for name in draw(st.lists(st.sampled_from(sorted(declared)), unique=True, max_size=3)):
        item[name] = draw(_param_values(declared[name]))
    for low in (name for name in declared if name.startswith("min_")):
        high = "max_" + low[4:]
        if high in declared and (low in item or high in item):  # keep min_x <= max_x
            pair = sorted([item.get(low, declared[low].default),
                           item.get(high, declared[high].default)])
            item[low], item[high] = pair
    params = {**{n: p.default for n, p in declared.items()},
              **{n: v for n, v in item.items() if n in declared}, "budget_per_year": 1.0}
    per_euro = INSTRUMENT_TYPES[kind].founded_per_year(params)
    if per_euro > 0:
        room = CREATION_LIMIT * min(get_region(r).n_digital_smes.value for r in where)
        item["budget_per_year"] = min(item["budget_per_year"], 0.999 * room / per_euro)
    return item


bases = st.sampled_from([VOUCHERS, SMALL]) | valid_docs()


# --- the property --------------------------------------------------------------------

@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("mangled") / "scenario.toml"


def outcome(path: Path, doc: dict | None = None, others: dict[Path, dict] | None = None):
    """Load ``path``; check that any error is an InputError with a proper message.

    ``doc`` is the document written to ``path`` (None if the bytes are not TOML), and
    ``others`` the documents of files it extends; an error must name one of these files
    and a key path that leads into that file's document.
    """
    docs = {str(path): doc, **{str(p): d for p, d in (others or {}).items()}}
    try:
        return load_scenario(path)
    except InputError as exc:
        message = str(exc)
        assert exc.file in docs, message
        assert message.startswith(f"{exc.file}: "), message
        assert exc.expected and f"expected {exc.expected}" in message, message
        assert len(message.splitlines()) == 1, message
        if docs[exc.file] is not None:  # parsable TOML: the key path leads into the document
            assert exc.key, message
            assert message.startswith(f"{exc.file}: {exc.key}: expected "), message
            roots = [k if BARE_KEY.fullmatch(k) else repr(k) for k in docs[exc.file]]
            roots.append("scenario")
            assert any(exc.key == r or exc.key.startswith((r + ".", r + "[")) for r in roots), (
                message)
        return exc


@examples(40)
@given(st.dictionaries(st.text(max_size=5), weird_values, max_size=4))
def test_toml_writer_round_trips(doc):
    assume(not any(isinstance(v, float) and math.isnan(v) for v in _leaves(doc)))
    assert tomllib.loads(dumps(doc)) == doc


def _leaves(node):
    if isinstance(node, dict):
        node = list(node.values())
    if isinstance(node, list):
        for v in node:
            yield from _leaves(v)
    else:
        yield node


@examples(40)
@given(valid_docs())
def test_valid_documents_load(scratch, doc):
    scratch.write_text(dumps(doc), encoding="utf-8")
    scenario = load_scenario(scratch)
    assert isinstance(scenario, Scenario)
    head = doc["scenario"]
    expected = CODES if head.get("regions", "all") == "all" else tuple(
        c for c in CODES if c in head["regions"])
    assert scenario.regions == expected
    assert len(scenario.instruments) == len(doc.get("instruments", []))
    for spec, item in zip(scenario.instruments, doc.get("instruments", []), strict=True):
        assert spec.params["budget_per_year"] == float(item["budget_per_year"])
        assert (spec.start, spec.end) == (item["start"], item["end"])


@examples(150)
@given(mangled(bases))
def test_mangled_documents_load_or_say_what_is_wrong(scratch, doc):
    scratch.write_text(dumps(doc), encoding="utf-8")
    outcome(scratch, doc)


CHILD = {"scenario": {"extends": "base.toml", "name": "child", "scale": 0.5},
         "model": {"tie_bonus": 0.2},
         "instruments": [{"type": "matchmaking", "regions": "all", "start": "2019Q1",
                          "budget_per_year": 5000}]}


@examples(60)
@given(base=bases | mangled(bases), child=mangled(st.just(CHILD)))
def test_mangled_extends(tmp_path_factory, base, child):
    """A file extending another: errors name the file that holds the faulty key."""
    folder = tmp_path_factory.mktemp("extends")
    (folder / "base.toml").write_text(dumps(base), encoding="utf-8")
    (folder / "child.toml").write_text(dumps(child), encoding="utf-8")
    outcome(folder / "child.toml", child, {folder / "base.toml": base})


@examples(30)
@given(st.binary(max_size=300) | st.text(max_size=100).map(str.encode))
def test_arbitrary_bytes(scratch, raw):
    scratch.write_bytes(raw)
    result = outcome(scratch)
    if not raw.strip():
        assert isinstance(result, InputError)


@examples(40)
@given(st.data())
def test_edited_text(scratch, data):
    """The shipped file with bytes deleted, inserted or replaced at random places."""
    raw = bytearray(VOUCHERS_TEXT.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(raw)))
        new = data.draw(st.binary(max_size=3) | st.sampled_from(
            [b"[", b"]", b"=", b'"', b"\n", b"\xff", b"[[instruments]]\n", b"nan", b"1e999"]))
        cut = data.draw(st.integers(0, 3))
        raw[i:i + cut] = new
    scratch.write_bytes(bytes(raw))
    outcome(scratch)


# --- targeted cases: exact key path and suggestion -----------------------------------

def _with(**changes):
    """SMALL with dotted-path changes; a value of ``...`` deletes the key."""
    doc = copy.deepcopy(SMALL)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = doc
        for step in parents:
            node = node[int(step)] if step.isdigit() else node[step]
        last = int(last) if last.isdigit() else last
        if value is ...:
            del node[last]
        else:
            node[last] = value
    return doc


def _renamed(path: str, new: str) -> dict:
    doc = copy.deepcopy(SMALL)
    *parents, last = path.split("__")
    node = doc
    for step in parents:
        node = node[int(step)] if step.isdigit() else node[step]
    node[new] = node.pop(last)
    return doc


I0 = "instruments[0]"
CASES = {
    # unknown or misspelled keys
    "misspelled budget": (_renamed("instruments__0__budget_per_year", "budget_per_yaer"),
                          f"{I0}.budget_per_yaer", "did you mean 'budget_per_year'?"),
    "misspelled type key": (_renamed("instruments__0__type", "tpye"), f"{I0}.tpye",
                            "did you mean 'type'?"),
    "misspelled scenario key": (_renamed("scenario__replicates", "replicats"),
                                "scenario.replicats", "did you mean 'replicates'?"),
    "misspelled table": (_renamed("model", "modle"), "modle", "did you mean 'model'?"),
    "misspelled model param": (_with(model={"serch_breadth": 3}), "model.serch_breadth",
                               "did you mean 'search_breadth'?"),
    "key of another instrument type": (_with(instruments__0__cost_per_participant=5),
                                       f"{I0}.cost_per_participant", "innovation_voucher"),
    "key with a newline": (_with(**{"scenario__a\nb": 1}), "scenario.'a\\nb'", "valid:"),
    # instrument type
    "misspelled type": (_with(instruments__0__type="innovation_vocher"), f"{I0}.type",
                        "did you mean 'innovation_voucher'?"),
    "type in capitals": (_with(instruments__0__type="MATCHMAKING"), f"{I0}.type",
                         "did you mean 'matchmaking'?"),
    "type as a list": (_with(instruments__0__type=["matchmaking"]), f"{I0}.type",
                      "did you mean 'matchmaking'?"),
    "type missing": (_with(instruments__0__type=...), f"{I0}.type", "valid:"),
    # budgets and parameters
    "negative budget": (_with(instruments__0__budget_per_year=-5),
                        f"{I0}.budget_per_year", "a number in [0, 1e+10] (EUR per year)"),
    "string budget": (_with(instruments__0__budget_per_year="lots"),
                      f"{I0}.budget_per_year", "found 'lots'"),
    "budget missing": (_with(instruments__0__budget_per_year=...),
                       f"{I0}.budget_per_year", "found nothing"),
    "budget as a table": (_with(instruments__0__budget_per_year={"eur": 5}),
                          f"{I0}.budget_per_year", "found {'eur': 5}"),
    "budget NaN": (_with(instruments__0__budget_per_year=float("nan")),
                   f"{I0}.budget_per_year", "found nan"),
    "budget huge": (_with(instruments__0__budget_per_year=10**400),
                    f"{I0}.budget_per_year", "found 1000000"),
    "whole-number param NaN": (_with(instruments__0__validity_quarters=float("nan")),
                               f"{I0}.validity_quarters", "a whole number in [1, 8]"),
    "whole-number param inf": (_with(instruments__0__validity_quarters=float("inf")),
                               f"{I0}.validity_quarters", "found inf"),
    "whole-number param huge": (_with(instruments__0__validity_quarters=10**30),
                                f"{I0}.validity_quarters", "a whole number in [1, 8]"),
    "whole-number param fraction": (_with(instruments__0__validity_quarters=1.5),
                                    f"{I0}.validity_quarters", "a whole number"),
    "min above max": (_with(instruments__0__min_employees=300), f"{I0}.min_employees",
                      "at most max_employees (249)"),
    "max below min": (_with(instruments__0__min_employees=10, instruments__0__max_employees=9),
                      f"{I0}.min_employees", "at most max_employees (9)"),
    "model param NaN": (_with(model={"search_breadth": float("nan")}),
                        "model.search_breadth", "a whole number in [0, 50]"),
    "model as a list": (_with(model=[1]), "model", "a table of parameters"),
    # scenario head
    "float seed": (_with(scenario__seed=1.5), "scenario.seed", "a whole number"),
    "NaN scale": (_with(scenario__scale=float("nan")), "scenario.scale", "(0, 1]"),
    "huge scale": (_with(scenario__scale=10**400), "scenario.scale", "(0, 1]"),
    "bool replicates": (_with(scenario__replicates=True), "scenario.replicates",
                        "a whole number"),
    "negative seed": (_with(scenario__seed=-1), "scenario.seed", "[0, 2**63)"),
    "empty name": (_with(scenario__name=""), "scenario.name", "found ''"),
    "name with a slash": (_with(scenario__name="../x"), "scenario.name", "found '../x'"),
    "name missing": (_with(scenario__name=...), "scenario.name", "found nothing"),
    "scenario as an array": (_with(scenario=[{"name": "t"}]), "scenario", "a [scenario] table"),
    "end before start year": (_with(scenario__end_year=2017), "scenario.end_year",
                              "2018..2050"),
    # regions
    "unknown region": (_with(scenario__regions=["IE04", "ES31"]), "scenario.regions[1]",
                       "did you mean 'ES13'?"),
    "region in lower case": (_with(scenario__regions=["ie04"]), "scenario.regions[0]",
                             "did you mean 'IE04'?"),
    "region listed twice": (_with(scenario__regions=["IE04", "ES13", "IE04"]),
                            "scenario.regions[2]", "listed twice"),
    "region as a string": (_with(scenario__regions="IE04"), "scenario.regions",
                           'did you mean ["IE04"]?'),
    "ALL in capitals": (_with(scenario__regions="ALL"), "scenario.regions",
                        'did you mean "all"?'),
    "no regions": (_with(scenario__regions=[]), "scenario.regions", "non-empty list"),
    "region as a number": (_with(scenario__regions=[4]), "scenario.regions[0]", "found 4"),
    "instrument region outside scenario": (_with(instruments__0__regions=["BG33"]),
                                           f"{I0}.regions[0]", "scenario.regions"),
    "instrument region unknown": (_with(instruments__0__regions=["IE4"]),
                                  f"{I0}.regions[0]", "did you mean 'IE04'?"),
    "instrument region twice": (_with(instruments__0__regions=["IE04", "IE04"]),
                                f"{I0}.regions[1]", "listed twice"),
    # dates
    "quarter after the horizon": (_with(instruments__0__start="2031Q1"), f"{I0}.start",
                                  "a quarter within the simulated period 2016Q1..2022Q4"),
    "quarter before the burn-in": (_with(instruments__0__start="2015Q4"), f"{I0}.start",
                                   "2016Q1..2022Q4"),
    "fifth quarter": (_with(instruments__0__end="2019Q5"), f"{I0}.end", "Q1..Q4"),
    "two-digit year": (_with(instruments__0__start="19Q1"), f"{I0}.start",
                       "did you mean '2019Q1'?"),
    "empty quarter": (_with(instruments__0__start=""), f"{I0}.start",
                      "a quarter like '2019Q1'"),
    "lower-case quarter": (_with(instruments__0__start="2019q2"), f"{I0}.start",
                           "did you mean '2019Q2'?"),
    "date instead of quarter": (_with(instruments__0__end=date(2021, 12, 31)), f"{I0}.end",
                                "did you mean '2021Q4'?"),
    "end before start": (_with(instruments__0__end="2018Q4"), f"{I0}.end",
                         "a quarter not before start 2019Q1"),
    # sectors
    "sector the region lacks": (_with(instruments__0__sectors=["fintech"]),
                                f"{I0}.sectors[0]", "a smart sector of region IE04"),
    "misspelled sector": (_with(instruments__0__sectors=["marine", "helth"]),
                          f"{I0}.sectors[1]", "did you mean 'health'?"),
    "sector as a string": (_with(instruments__0__sectors="marine"), f"{I0}.sectors",
                           'did you mean ["marine"]?'),
    "sector listed twice": (_with(instruments__0__sectors=["marine", "marine"]),
                            f"{I0}.sectors[1]", "listed twice"),
    # structure
    "instruments as one table": (_with(instruments={"type": "matchmaking"}), "instruments",
                                 "[[instruments]]"),
    "instrument not a table": (_with(instruments=[{"type": "matchmaking",
                                                   "budget_per_year": 1}, 3]),
                               "instruments[1]", "a table"),
    "instrument name not text": (_with(instruments__0__name=3), f"{I0}.name", "a string"),
}


@pytest.mark.parametrize(("doc", "key", "words"), CASES.values(), ids=CASES.keys())
def test_each_bad_input_names_its_key(tmp_path, doc, key, words):
    path = tmp_path / "bad.toml"
    path.write_text(dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    message = str(info.value)
    assert info.value.key == key, message
    assert message.startswith(f"{path}: {key}: expected "), message
    assert words in message, message
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize(("raw", "words"), [
    (b"", "a [scenario] table"),
    (b"\xff\xfe[scenario]", "UTF-8"),
    (b"[scenario\nname=", "valid TOML"),
    (b"a = " + b"1" * 5000, "valid TOML"),
    (b"a = " + b"[" * 5000 + b"]" * 5000, "valid TOML"),
], ids=["empty", "not UTF-8", "bad syntax", "5000-digit integer", "nested 5000 deep"])
def test_unreadable_documents(tmp_path, raw, words):
    path = tmp_path / "bad.toml"
    path.write_bytes(raw)
    with pytest.raises(InputError, match=re.escape(words)) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}: ")
    assert len(str(info.value).splitlines()) == 1


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="found no such file"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(InputError, match="found a directory"):
        load_scenario(tmp_path)


def test_instrument_regions_all_means_the_scenario_regions(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(dumps(_with(instruments__0__regions="all", instruments__0__sectors=[])))
    assert load_scenario(path).instruments[0].regions == ("IE04", "ES13")


@pytest.mark.parametrize(("word", "choices", "hint"), [
    ("ES31", CODES, "did you mean 'ES13'?"),
    ("ie04", CODES, "did you mean 'IE04'?"),
    ("budget_per_yaer", ["budget_per_year", "voucher_value"], "did you mean 'budget_per_year'?"),
    ("zzz", ["a", "b"], "valid: a, b"),
    ("x" * 10_000, ["a"], "valid: a"),
])
def test_did_you_mean(word, choices, hint):
    assert did_you_mean(word, choices) == hint


# --- extends ---------------------------------------------------------------------------

def _files(folder: Path, **docs: dict) -> None:
    for name, doc in docs.items():
        (folder / f"{name}.toml").write_text(dumps(doc), encoding="utf-8")


def _child(extends, **scenario) -> dict:
    return {"scenario": {"extends": extends, **scenario}}


def _voucher(region: str, budget=1000, **params) -> dict:
    return {"type": "innovation_voucher", "name": f"vouchers {region}", "regions": [region],
            "budget_per_year": budget, **params}


def test_extends_merges_settings_model_and_instruments_each_file_once(tmp_path):
    base = copy.deepcopy(SMALL)  # one instrument, model search_breadth = 6
    _files(tmp_path, base=base,
           a={**_child("base.toml", name="a", scale=0.5), "model": {"tie_bonus": 0.2},
              "instruments": [_voucher("ES13")]},
           b={**_child("./base.toml", name="b"), "instruments": [_voucher("IE04")]},
           top=_child(["a.toml", "b.toml"], name="top", replicates=3))
    scenario = load_scenario(tmp_path / "top.toml")
    assert scenario.name == "top" and scenario.path == str(tmp_path / "top.toml")
    assert (scenario.replicates, scenario.scale, scenario.seed) == (3, 0.5, 1)
    assert scenario.regions == ("IE04", "ES13")
    assert scenario.model == {"search_breadth": 6.0, "tie_bonus": 0.2}
    names = [i.name for i in scenario.instruments]
    assert names == ["innovation_voucher 0", "vouchers ES13", "vouchers IE04"]  # base once
    before = scenario.sha256
    base["scenario"]["seed"] = 2
    _files(tmp_path, base=base)
    assert load_scenario(tmp_path / "top.toml").sha256 != before  # the hash covers bases


def test_shipped_chain_loads():
    root = Path(__file__).parents[1] / "scenarios"
    if "extends" not in (root / "vouchers_and_hubs.toml").read_text():
        pytest.skip("shipped scenarios do not use extends")
    scenario = load_scenario(root / "vouchers_and_hubs.toml")
    assert scenario.name == "vouchers_and_hubs" and len(scenario.regions) == 10


EXTENDS_CASES = {
    "missing file": ({"child": _child("nope.toml", name="c")}, "child", "scenario.extends",
                     "found 'nope.toml': no such file"),
    "directory": ({"child": _child(".", name="c")}, "child", "scenario.extends",
                  "found '.': a directory"),
    "missing file in a list": ({"base": SMALL, "child": _child(["base.toml", "nope.toml"],
                                                               name="c")},
                               "child", "scenario.extends[1]", "no such file"),
    "itself": ({"child": _child("child.toml", name="c")}, "child", "scenario.extends",
               "child.toml -> child.toml"),
    "cycle": ({"a": _child("b.toml", name="a"), "b": _child("a.toml", name="b")}, "b",
              "scenario.extends", "found a.toml -> b.toml -> a.toml"),
    "not a file name": ({"child": _child(3, name="c")}, "child", "scenario.extends",
                        "a file name or a non-empty list"),
    "empty list": ({"child": _child([], name="c")}, "child", "scenario.extends", "found []"),
    "empty name": ({"child": _child([""], name="c")}, "child", "scenario.extends[0]",
                   "a file name"),
    "NUL in the name": ({"child": _child("a\x00b", name="c")}, "child", "scenario.extends",
                        "a NUL character"),
    "bad instrument in the base": (
        {"base": _with(instruments=[_voucher("IE04"), _voucher("IE04", -1)]),
         "child": {**_child("base.toml", name="c"), "instruments": [_voucher("ES13")]}},
        "base", "instruments[1].budget_per_year", "found -1"),
    "bad instrument in the child": (
        {"base": SMALL, "child": {**_child("base.toml", name="c"),
                                  "instruments": [_voucher("ES13", validity_quarters=0)]}},
        "child", "instruments[0].validity_quarters", "found 0"),
    "child instrument outside the base's regions": (
        {"base": SMALL, "child": {**_child("base.toml", name="c"),
                                  "instruments": [_voucher("BG33")]}},
        "child", "instruments[0].regions[0]", "a region listed in scenario.regions"),
    "unknown key in the base": ({"base": _renamed("scenario__seed", "sed"),
                                 "child": _child("base.toml", name="c")},
                                "base", "scenario.sed", "did you mean 'seed'?"),
    "bad model value in the base": ({"base": _with(model={"tie_bonus": 2}),
                                     "child": _child("base.toml", name="c")},
                                    "base", "model.tie_bonus", "found 2"),
    "bad value overridden in the child": ({"base": SMALL, "child": _child("base.toml",
                                                                          scale=0)},
                                          "child", "scenario.scale", "found 0"),
    "instruments as a table in the base": ({"base": _with(instruments={"type": "x"}),
                                            "child": _child("base.toml", name="c")},
                                           "base", "instruments", "[[instruments]]"),
    "no name anywhere": ({"base": _with(scenario__name=...),
                          "child": _child("base.toml")}, "child", "scenario.name",
                         "found nothing"),
}


@pytest.mark.parametrize(("docs", "culprit", "key", "words"), EXTENDS_CASES.values(),
                         ids=EXTENDS_CASES.keys())
def test_extends_errors_name_the_file_at_fault(tmp_path, docs, culprit, key, words):
    _files(tmp_path, **docs)
    root = "child" if "child" in docs else "a"
    with pytest.raises(InputError) as info:
        load_scenario(tmp_path / f"{root}.toml")
    message = str(info.value)
    assert message.startswith(f"{tmp_path / culprit}.toml: {key}: expected "), message
    assert words in message, message
    assert len(message.splitlines()) == 1


def test_base_that_is_not_toml_is_named(tmp_path):
    (tmp_path / "base.toml").write_bytes(b"[scenario\n")
    _files(tmp_path, child=_child("base.toml", name="c"))
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'base.toml'}: expected valid")):
        load_scenario(tmp_path / "child.toml")
