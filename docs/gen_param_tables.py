"""Generate the parameter and region tables of docs/model.md from the code.

The tables are never typed by hand: model parameters come from
``simulation.params.MODEL_PARAMS``, instrument parameters from
``INSTRUMENT_TYPES[...].declared_params()`` and the regions from
``simulation.regions.registry_table()``.

    python docs/gen_param_tables.py            # print the three sections
    python docs/gen_param_tables.py --write    # rewrite them in docs/model.md
    python docs/gen_param_tables.py --check    # exit 1 if docs/model.md is stale

Each section sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation import params as params_module  # noqa: E402
from simulation.instruments import INSTRUMENT_TYPES  # noqa: E402
from simulation.params import MODEL_PARAMS, Param  # noqa: E402
from simulation.regions import registry_table  # noqa: E402

MODEL_MD = ROOT / "docs" / "model.md"
ASSUMED = getattr(params_module, "_ASSUMED", None)
"""The source string shared by provisional parameters (shortened in the tables)."""


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(p: Param, x: float) -> str:
    return f"{int(x)}" if p.integer else f"{x:g}"


def param_table(params: dict[str, Param]) -> str:
    """Return one Markdown table: name | default | bounds | unit | source | meaning."""
    lines = ["| name | default | bounds | unit | source | meaning |", "|---|---|---|---|---|---|"]
    for name, p in params.items():
        source = "**assumption**" if p.source == ASSUMED else _cell(p.source)
        bounds = f"[{_num(p, p.low)}, {_num(p, p.high)}]"
        lines.append(
            f"| `{name}` | {_num(p, p.default)} | {bounds} | {_cell(p.unit)} | "
            f"{source} | {_cell(p.doc)} |"
        )
    return "\n".join(lines)


def params_section() -> str:
    """Return the model parameter table, with the meaning of **assumption**."""
    note = f"**assumption** = `{ASSUMED}`."
    return f"{param_table(dict(MODEL_PARAMS))}\n\n{note}"


def instruments_section() -> str:
    """Return one parameter table per instrument type, under its docstring summary."""
    parts = []
    for kind, cls in INSTRUMENT_TYPES.items():
        doc = " ".join((cls.__doc__ or "").split("\n\n")[0].split())
        parts.append(
            f"**`{kind}`** ({cls.__name__}): {doc}\n\n{param_table(cls.declared_params())}"
        )
    return "\n\n".join(parts)


def regions_section() -> str:
    """Return the ten regions with their derived figures (``registry_table()``)."""
    cols = {
        "code": "code",
        "name": "name",
        "country": "country",
        "sectors": "client sectors",
        "n_digital_smes": "digital SMEs",
        "n_smart_firms": "smart firms",
        "dii_basic_share_2021": "DII basic 2021",
        "birth_rate": "births/yr",
        "death_rate": "deaths/yr",
        "population": "population",
        "proxies": "proxy figures",
    }
    lines = ["| " + " | ".join(cols.values()) + " |", "|" + "---|" * len(cols)]
    for row in registry_table():
        cells = (f"{v:,}" if isinstance(v, int) else _cell(v) for v in (row[k] for k in cols))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


SECTIONS = {
    "params": params_section,
    "instruments": instruments_section,
    "regions": regions_section,
}


def rewrite(text: str, sections: dict = SECTIONS, path: Path = MODEL_MD) -> str:
    """Return ``text`` with every marked section replaced by its generated content."""
    for name, make in sections.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"{path}: markers for section {name!r} not found")
        table = make()
        text = pattern.sub(lambda m, t=table: f"{m.group(1)}{t}\n{m.group(2)}", text)
    return text


def main(argv: list[str], sections: dict = SECTIONS, path: Path = MODEL_MD) -> int:
    """Print the sections, or ``--write`` / ``--check`` them in ``path``."""
    if "--write" in argv or "--check" in argv:
        old = path.read_text(encoding="utf-8")
        new = rewrite(old, sections, path)
        if "--check" in argv:
            print("up to date" if new == old else f"{path} is stale: run with --write")
            return int(new != old)
        path.write_text(new, encoding="utf-8")
        print(f"rewrote {len(sections)} sections of {path}")
        return 0
    for name, make in sections.items():
        print(f"<!-- {name}:start -->\n{make()}\n<!-- {name}:end -->\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
