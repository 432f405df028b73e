"""The ``devise`` command: run, compare, calibrate, sweep, sensitivity, report and regions."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__
from .errors import InputError

console = Console(stderr=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for bad input, 130 if interrupted)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except InputError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                      soft_wrap=True, emoji=False)
        return 2
    except KeyboardInterrupt:
        console.print("interrupted: finished replicates are kept; run the same command to resume")
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devise", description=__doc__)
    parser.add_argument("--version", action="version", version=f"devise {__version__}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario file and write its outputs")
    run.add_argument("scenario", type=Path, help="scenario TOML file")
    run.add_argument("--replicates", type=_positive_int, help="override scenario.replicates")
    run.add_argument("--seed", type=_seed, help="override scenario.seed")
    run.add_argument("--scale", type=_scale, help="override scenario.scale (0 < x <= 1)")
    _add_parameters(run)
    run.add_argument("--out", type=Path, help="output folder (default runs/<scenario name>)")
    _add_overwrite(run)
    _add_workers(run, "parallel processes for replicates")
    run.add_argument("--threads", type=_positive_int, default=1,
                     help="threads for each replicate's agent loops (default 1; same results "
                          "for any value; helps one large replicate on a many-core machine)")
    run.set_defaults(handler=_run)

    compare = sub.add_parser(
        "compare", help="run policy scenarios against a base with common random numbers")
    compare.add_argument("base", type=Path, help="base scenario TOML file")
    compare.add_argument("policies", type=Path, nargs="+", metavar="policy",
                         help="policy scenario TOML file(s), same regions and horizon as base")
    compare.add_argument("--replicates", type=_positive_int,
                         help="override the base's replicates (applies to all)")
    compare.add_argument("--seed", type=_seed, help="override the base's seed (applies to all)")
    compare.add_argument("--scale", type=_scale,
                         help="override the base's scale, 0 < x <= 1 (applies to all)")
    _add_parameters(compare)
    compare.add_argument("--out", type=Path,
                         help="output folder (default runs/compare-<base>-vs-<policies>)")
    _add_overwrite(compare)
    _add_workers(compare, "parallel processes for replicates")
    compare.add_argument("--no-contributions", action="store_true",
                         help="skip the runs without each instrument (no contributions)")
    compare.set_defaults(handler=_compare)

    calib = sub.add_parser(
        "calibrate", help="fit region models to their sourced targets (calibration/regions/)")
    which = calib.add_mutually_exclusive_group(required=True)
    which.add_argument("--region", nargs="+", metavar="CODE", help="region code(s) to fit")
    which.add_argument("--all", action="store_true", help="fit all ten regions")
    calib.add_argument("--mode", choices=("full", "smoke"), default="full",
                       help="full (the committed fit, calibration/regions/) or smoke (a quick "
                            "check, written to calibration/smoke/, never read by the models)")
    _add_workers(calib, "regions fitted at once, one process each (--posterior: processes "
                        "or Dask workers for one region's simulations)")
    calib.add_argument("--force", action="store_true",
                       help="refit regions whose file is already current (--posterior: and "
                            "replace stored simulations of another set-up)")
    calib.add_argument("--posterior", action="store_true",
                       help="the posterior over calibration/priors.toml (calibration/posteriors/; "
                            "resumes after a kill) instead of the point fit")
    where = calib.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="--posterior: simulate on a running Dask scheduler (tcp://host:8786)")
    where.add_argument("--dask-local", action="store_true",
                       help="--posterior: simulate on a Dask LocalCluster of --workers processes")
    calib.set_defaults(handler=_calibrate)

    for name, help_text in (("sweep", "run a sweep file's design points (resumable)"),
                            ("sensitivity", "run a sweep file and compute Sobol or Morris "
                                            "sensitivity indices")):
        sweep = sub.add_parser(name, help=help_text)
        sweep.add_argument("file", type=Path, help="sweep TOML file")
        sweep.add_argument("--out", type=Path, help="output folder (default runs/sweep-<name>)")
        _add_workers(sweep, "local processes, or Dask workers with --dask-local")
        where = sweep.add_mutually_exclusive_group()
        where.add_argument("--scheduler", metavar="ADDRESS",
                           help="run on a running Dask scheduler (tcp://host:8786)")
        where.add_argument("--dask-local", action="store_true",
                           help="run on a Dask LocalCluster of --workers processes")
        _add_overwrite(sweep)
        sweep.set_defaults(handler=_sweep, analyse=name == "sensitivity")

    report = sub.add_parser(
        "report", help="write one self-contained HTML page from a run, compare or sweep folder")
    report.add_argument("run_dir", type=Path, metavar="RUN_DIR",
                        help="output folder of devise run, compare, sweep or sensitivity")
    report.add_argument("--out", type=Path, help="HTML file to write (default RUN_DIR/report.html)")
    report.set_defaults(handler=_report)

    regions = sub.add_parser("regions", help="list the ten partner region models")
    regions.set_defaults(handler=_regions)
    return parser


def _run(args: argparse.Namespace) -> int:
    from .folders import claim_folder
    from .outputs import run_identity, write_run
    from .runner import (
        add_growth,
        check_inputs,
        checkpointed,
        content_key,
        replicates_per_set,
        run_replicates,
        summarise,
    )
    from .scenario import load_scenario

    scenario = load_scenario(args.scenario).with_overrides(
        replicates=args.replicates, seed=args.seed, scale=args.scale,
        parameters=args.parameters)
    check_inputs(scenario)
    out = args.out or Path("runs") / scenario.name
    if claim_folder(out, "run", content_key(scenario), run_identity(scenario), args.overwrite):
        done = checkpointed(out / ".replicates", scenario)
        console.print(f"resuming in {escape(str(out))}: {done} of {scenario.replicates} "
                      "replicates already done", highlight=False)
    console.print(f"[bold]{scenario.name}[/]: {len(scenario.regions)} regions, "
                  f"{scenario.replicates} replicates, scale {scenario.scale:g}, "
                  f"seed {scenario.seed}, {_parameters_note(scenario)}, {args.workers} "
                  f"worker(s) x {args.threads} thread(s)")
    t0 = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task("replicates", total=scenario.replicates)
        ts = run_replicates(scenario, workers=args.workers, checkpoint_dir=out / ".replicates",
                            on_done=lambda r: bar.advance(task), threads=args.threads)
    wall = time.perf_counter() - t0
    ts = add_growth(ts)
    summary = summarise(ts, per_set=replicates_per_set(scenario))
    write_run(out, scenario, ts, summary, {"wall_time_s": round(wall, 2),
                                           "workers": args.workers, "threads": args.threads})
    _print_summary(summary)
    console.print(f"wrote {out}/summary.csv, timeseries.parquet, parameters.parquet, "
                  f"manifest.json, kpi.png in {wall:.1f} s")
    return 0


def _add_parameters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--parameters", choices=("posterior", "point"),
                        help="posterior: each pair of replicates draws a parameter set from "
                             "each region's posterior (the default of scenario files); point: "
                             "the fitted point values (calibration/regions/)")


def _parameters_note(scenario) -> str:
    if scenario.parameters == "posterior":
        return "parameter sets drawn from the posteriors (one per 2 replicates)"
    return "fitted point parameters"


def _print_summary(summary) -> None:
    """Print the per-region table, for the reported years the run reaches (2021, 2022)."""
    years = [y for y in (2021, 2022) if f"enabling_{y}" in summary]
    table = Table(title="Enabling digital SMEs against the DEVISE target (+15% on 2018Q4)")
    columns = ["region", "2018Q4"]
    for y in years:
        columns += [f"{y}Q4", f"growth {y}", f"P(target) {y}"]
    for col in columns:
        table.add_column(col, justify="left" if col == "region" else "right")
    for row in summary.to_dict("records"):
        cells = [row["region"], f"{row['baseline_enabling']:,.0f}"]
        for y in years:
            cells += [f"{row[f'enabling_{y}']:,.0f}", f"{row[f'growth_{y}']:+.1%}",
                      f"{row[f'p_target_{y}']:.2f}"]
        table.add_row(*cells)
    Console().print(table)


def _compare(args: argparse.Namespace) -> int:
    from .compare import YEARS, compare, plan
    from .folders import claim_folder, content_key_of
    from .outputs import run_identity
    from .runner import check_inputs, checkpointed
    from .scenario import load_scenario

    base = load_scenario(args.base).with_overrides(
        replicates=args.replicates, seed=args.seed, scale=args.scale,
        parameters=args.parameters)
    policies = [load_scenario(path) for path in args.policies]
    scenarios = plan(base, policies, contributions=not args.no_contributions)
    runs = scenarios.distinct()
    out = args.out or Path("runs") / (
        f"compare-{base.name}-vs-{'+'.join(p.name for p in policies)}")
    check_inputs(base)
    # The base and the policies define a comparison; with or without contributions, it
    # resumes in the same folder (the runs without each instrument are extra replicates).
    identity = {"base": run_identity(scenarios.base),
                "policies": [run_identity(p) for p in scenarios.policies]}
    key = content_key_of(identity)
    if claim_folder(out, "comparison", key, identity, args.overwrite):
        done = sum(checkpointed(out / ".replicates", s) for s in runs)
        console.print(f"resuming in {escape(str(out))}: {done} of "
                      f"{len(runs) * base.replicates} replicates already done", highlight=False)
    names = escape(", ".join(p.name for p in policies))
    console.print(f"[bold]{names}[/] against [bold]{escape(base.name)}[/]: "
                  f"{len(runs)} scenario(s) to run, {len(base.regions)} regions, "
                  f"{base.replicates} replicates, scale {base.scale:g}, seed {base.seed}, "
                  f"{args.workers} worker(s)")
    t0 = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task("replicates", total=len(runs) * base.replicates)

        def advance(name: str, replicate: int) -> None:
            bar.update(task, advance=1, description=escape(name))

        result = compare(base, policies, workers=args.workers, out_dir=out,
                         contributions=not args.no_contributions, on_done=advance)
    _print_comparison(result.comparison, base.name, YEARS)
    if not result.contributions.empty:
        _print_contributions(result.contributions, YEARS)
    files = "comparison.csv, contributions.csv, timeseries.parquet, manifest.json, comparison.png"
    if not result.contributions.empty:
        files += ", contributions.png"
    console.print(f"wrote {out}/{files} in {time.perf_counter() - t0:.1f} s")
    return 0


def _print_comparison(comparison, base: str, years: tuple[int, ...]) -> None:
    for policy, rows in comparison.groupby("policy", sort=False):
        table = Table(
            title=escape(f"{policy} against {base}: additional enabling SMEs at the end of "
                         "the year"),
            caption="additional: policy - base, mean [5-95% of replicates]; P(target): share "
                    "of replicates at +15% on 2018Q4; spend: additional public spend to the "
                    "end of the year")
        for col in ("region", "year", "additional SMEs", "P(target) base -> policy",
                    "additional spend (EUR)", "EUR per additional SME"):
            table.add_column(col, justify="left" if col == "region" else "right")
        for row in rows.to_dict("records"):
            for y in years:
                table.add_row(
                    row["region"] if y == years[0] else "", str(y),
                    _band(row[f"additional_{y}"], row[f"additional_{y}_p05"],
                          row[f"additional_{y}_p95"]),
                    f"{row[f'base_p_target_{y}']:.2f} -> {row[f'policy_p_target_{y}']:.2f}",
                    f"{row[f'additional_spend_{y}']:,.0f}",
                    _eur(row[f"cost_per_sme_{y}"]),
                    end_section=y == years[-1],
                )
        Console().print(table)


def _print_contributions(contributions, years: tuple[int, ...]) -> None:
    table = Table(
        title="Contributions of the instruments, all regions",
        caption="SMEs: policy - policy without the instrument, mean [5-95% of replicates]; "
                "interaction: total effect - sum of contributions; spend: EUR attributed to "
                "the end of the year")
    for col in ("policy", "instrument", "year", "SMEs", "spend (EUR)", "EUR per SME"):
        table.add_column(col, justify="left" if col in ("policy", "instrument") else "right")
    total = contributions[contributions["region"] == "ALL"]
    for (policy, instrument), rows in total.groupby(["policy", "instrument"], sort=False):
        for row in rows.set_index("year").loc[list(years)].reset_index().to_dict("records"):
            first = row["year"] == years[0]
            table.add_row(
                escape(policy) if first else "", escape(instrument) if first else "",
                str(row["year"]),
                _band(row["mean"], row["p05"], row["p95"]), f"{row['spend']:,.0f}",
                _eur(row["cost_per_sme"]), end_section=row["year"] == years[-1])
    Console().print(table)


def _band(mean: float, low: float, high: float) -> str:
    return f"{mean:+,.0f} [{low:+,.0f}, {high:+,.0f}]"


def _eur(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.0f}"


def _calibrate(args: argparse.Namespace) -> int:
    from .calibration.store import fit_quality
    from .calibration.workflow import calibrate_region, calibrate_regions, is_current
    from .fitted import SMOKE_FOLDER
    from .regions import get_region, region_codes

    codes = list(region_codes()) if args.all else list(dict.fromkeys(args.region))
    for code in codes:
        try:
            get_region(code)
        except KeyError as exc:
            raise InputError("command line", "--region", "a region code (devise regions)",
                             repr(code), str(exc.args[0])) from None
    if args.posterior:
        return _calibrate_posterior(codes, args)
    if args.scheduler or args.dask_local:
        raise InputError("command line", "--scheduler" if args.scheduler else "--dask-local",
                         "--posterior with it (the point fit runs one process per region)")
    skipped = [c for c in codes if not args.force and is_current(c, args.mode)]
    todo = [c for c in codes if c not in skipped]
    if skipped:
        console.print(f"current, skipped (use --force to refit): {', '.join(skipped)}")
    started = time.perf_counter()
    # Largest regions first, so the two processes finish close together.
    todo.sort(key=lambda c: -get_region(c).n_smart_firms.value)
    with _progress() as bar:
        if len(todo) == 1:
            task = bar.add_task(f"calibrating {todo[0]} (evaluations)", total=None)

            def tick(done: int, budget: int, best: float) -> None:
                bar.update(task, completed=done, total=budget,
                           description=f"calibrating {todo[0]}: objective {best:.2f}")

            calibrate_region(todo[0], args.mode, tick)
        elif todo:
            task = bar.add_task("calibrating regions", total=len(todo))
            calibrate_regions(todo, args.mode, min(args.workers, len(todo)),
                              lambda code, path: bar.advance(task))
    console.print(f"calibrated {len(todo)} region(s) in {time.perf_counter() - started:.0f} s "
                  f"({args.mode} mode)")
    if args.mode != "full":
        console.print(f"{args.mode} fits are written to calibration/{SMOKE_FOLDER}/; region "
                      "models keep reading calibration/regions/", highlight=False)
    _print_fit_table([(c, fit_quality(c, mode=args.mode)) for c in codes])
    return 0


def _calibrate_posterior(codes: list[str], args: argparse.Namespace) -> int:
    """Run ``devise calibrate --posterior``: one region after another.

    Each region's simulations run on ``--workers`` processes (or Dask); current posteriors
    are skipped.
    """
    from .calibration.posterior import calibrate_posterior, posterior_is_current, write_posterior

    skipped = [c for c in codes if not args.force and posterior_is_current(c, args.mode)]
    if skipped:
        console.print(f"current, skipped (use --force to redo): {', '.join(skipped)}")
    started = time.perf_counter()
    todo = [c for c in codes if c not in skipped]
    with _progress() as bar:
        for code in todo:
            task = bar.add_task(f"{code} posterior", total=None)

            def tick(done: int, total: int, code=code, task=task) -> None:
                bar.update(task, completed=done, total=total,
                           description=f"{code} posterior (simulations)")

            result = calibrate_posterior(code, args.mode, args.workers, args.scheduler,
                                         args.dask_local, tick, overwrite=args.force)
            path = write_posterior(result)
            bar.update(task, description=f"{code} posterior: {len(result.u)} simulations, "
                       f"{len(result.kept)} kept; wrote {path.name}")
    console.print(f"posterior of {len(todo)} region(s) in {time.perf_counter() - started:.0f} s "
                  f"({args.mode} mode)")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from .runner import check_inputs
    from .sweep.execute import execute_sweep, point_means, prepare_sweep
    from .sweep.functions import DeviseRun
    from .sweep.report import summarise_sweep, write_sensitivity
    from .sweep.sensitivity import analyse, check_analysis
    from .sweep.spec import load_sweep

    spec = load_sweep(args.file)
    if args.analyse:
        check_analysis(spec)
    if isinstance(spec.function, DeviseRun):
        check_inputs(spec.function.base)
    out = args.out or Path("runs") / f"sweep-{spec.name}"
    sweep = prepare_sweep(spec, out, args.overwrite)
    design, runs = sweep.points, sweep.runs
    backend = (f"Dask scheduler {args.scheduler}" if args.scheduler else
               f"Dask LocalCluster of {args.workers}" if args.dask_local else
               f"{args.workers} local process(es)")
    console.print(f"{spec.name}: {len(design)} points x {spec.replicates} replicate(s) = "
                  f"{len(runs)} runs on {backend}; results in {out}/runs (resumable)",
                  highlight=False)
    if sweep.done:
        console.print(f"resuming: {len(sweep.done)} of {len(runs)} runs already stored",
                      highlight=False)
    started = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task("runs", total=len(runs))
        stored = execute_sweep(sweep, args.workers, args.scheduler, args.dask_local,
                               lambda done, total: bar.update(task, completed=done))
    console.print(f"done in {time.perf_counter() - started:.1f} s", highlight=False)
    print(summarise_sweep(spec, stored, design, out), end="")
    if args.analyse:
        result = analyse(spec, point_means(spec, stored), list(spec.analysis_outputs()), design,
                         spec.resamples, spec.conf_level)
        write_sensitivity(result, out)
        _print_indices(result)
    return 0


def _print_indices(result) -> None:
    table = Table(title="Sensitivity indices: value, then the confidence half-width")
    for col in ("output", "factor", "index", "value"):
        table.add_column(col, justify="left" if col != "value" else "right")
    for row in result.indices.to_dict("records"):
        conf = "" if math.isnan(row["conf"]) else f" [{row['conf']:.3f}]"
        table.add_row(row["output"], escape(row["factor"]), row["index"],
                      f"{row['value']:.3f}{conf}")
    out = Console()
    out.print(table)
    for row in result.convergence.to_dict("records"):
        verdict = "converged" if row["converged"] else "NOT converged: use a larger N"
        out.print(f"{row['output']} {row['index']}: max change {row['max_change']:.3f} "
                  f"({verdict})", highlight=False)


def _print_fit_table(rows: list) -> None:
    table = Table(title="Fit quality (calibration/regions/CODE.toml; figures in "
                        "calibration/diagnostics/)")
    for col in ("region", "mode", "objective provisional -> fitted", "moments within 2 sd",
                "worst moment (z)", "not identified"):
        table.add_column(col, justify="left")
    for code, q in rows:
        if q is None:
            table.add_row(code, "provisional", "not fitted", "", "", "")
            continue
        table.add_row(code, q["mode"], f"{q['objective_provisional']:.1f} -> {q['objective']:.1f}",
                      f"{q['within_2']}/{q['moments']}", f"{q['worst']} ({q['worst_z']:+.1f})",
                      ", ".join(q["unidentified"]) or "none")
    Console().print(table)


_REGION_COLUMNS = {
    "code": "code", "name": "name", "country": "country", "n_digital_smes": "digital SMEs",
    "n_smart_firms": "smart firms", "dii_basic_share_2021": "DII basic 2021",
    "birth_rate": "births/yr", "death_rate": "deaths/yr",
}


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    out = write_report(args.run_dir, args.out)
    console.print(f"wrote {escape(str(out))} ({out.stat().st_size / 1e6:.1f} MB)", highlight=False)
    return 0


def _regions(args: argparse.Namespace) -> int:
    from .regions import registry_table

    rows = registry_table()
    table = Table(title="DEVISE partner region models (full-scale counts derived from sourced "
                        "rows)")
    for title in _REGION_COLUMNS.values():
        table.add_column(title, justify="left" if title in ("code", "name") else "right")
    for row in rows:
        table.add_row(*(_fmt(row[key]) for key in _REGION_COLUMNS))
    out = Console()
    out.print(table)
    for row in rows:
        out.print(f"{row['code']}: sectors {row['sectors']}; proxies: {row['proxies'] or 'none'}",
                  highlight=False)
    out.print("Sources and derivations: calibration/regions.toml, calibration/data/")
    from .calibration.store import fit_quality

    _print_fit_table([(code, fit_quality(code)) for code in (row["code"] for row in rows)])
    return 0


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _add_overwrite(parser: argparse.ArgumentParser) -> None:
    """Add the ``--overwrite`` option: replace an output folder that holds another job."""
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the outputs in --out when they are of another job "
                             "(without it such a folder is refused)")


def _add_workers(parser: argparse.ArgumentParser, what: str) -> None:
    """Add the ``--workers`` option: a positive whole number, all cores by default."""
    parser.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 1,
                        help=f"{what} (default: all cores)")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=console, transient=False)


def _positive_int(text: str) -> int:
    value = _parse(text, int, "a whole number >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, found {text!r}")
    return value


def _seed(text: str) -> int:
    value = _parse(text, int, "a whole number >= 0")
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"expected a whole number in [0, 2**63), found {text!r}")
    return value


def _scale(text: str) -> float:
    value = _parse(text, float, "a number in (0, 1]")
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], found {text!r}")
    return value


def _parse(text: str, kind: type, expected: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}") from None


if __name__ == "__main__":
    sys.exit(main())
