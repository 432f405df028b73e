"""The ``devise`` command: run, compare, calibrate, sweep, sensitivity, design, report, regions...

Bad input fails fast: the arguments are parsed and the cheap checks made (the input files
exist and parse as TOML, region codes are known) before any heavy import (the model, numba,
pandas, matplotlib), which each command makes only once its input has passed them.
"""

from __future__ import annotations

import argparse
import functools
import gc
import math
import os
import shutil
import sys
import time
from pathlib import Path

from . import __version__, argtypes
from .errors import InputError
from .explore.command import add_parser as _add_explore
from .resources import shipped_folder
from .shipped import shipped_file, shipped_scenarios, with_bases
from .tomlfiles import read_toml

COMPILE_TIME = "10-30 s"
"""How long the first run's compilation of the kernels takes (10 s measured on 2 busy cores)."""

WARM_UP_SCALE = 0.01
"""Scale of the one small replicate that compiles the kernels on a first run."""


def console() -> None:
    """Run the ``devise`` command: :func:`main` on the command line's arguments, then exit.

    Before the process ends, everything it made is moved to the garbage collector's
    permanent generation (``gc.freeze``), so the interpreter's last collections at exit
    do not walk the objects of every module imported (numba, pandas, Mesa: 0.35-0.45 s of
    a run's exit on the development machine). Only for the process's end: :func:`main`
    itself, called by a notebook or a test, leaves the collector as it is.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for bad input, 130 if interrupted)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _err().print("interrupted: finished replicates are kept; run the same command to resume")
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devise", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"devise {__version__}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    for add in (_add_run, _add_compare, _add_calibrate, _add_sweeps, _add_design, _add_report,
                _add_regions, _add_scenarios, _add_explore):
        add(sub)
    return parser


_SCENARIO_ARGUMENT = ("scenario TOML file, or the name of a shipped scenario (devise scenarios) "
                      "where no such file exists")


def _add_run(sub) -> None:
    run = sub.add_parser("run", help="run a scenario file and write its outputs")
    run.add_argument("scenario", type=Path, help=_SCENARIO_ARGUMENT)
    run.add_argument("--replicates", type=argtypes.positive_int,
                     help="override scenario.replicates")
    run.add_argument("--seed", type=argtypes.seed, help="override scenario.seed")
    run.add_argument("--scale", type=argtypes.scale, help="override scenario.scale (0 < x <= 1)")
    _add_parameters(run)
    run.add_argument("--out", type=Path, help="output folder (default runs/<scenario name>)")
    _add_overwrite(run)
    _add_workers(run, "parallel processes for replicates")
    run.add_argument("--threads", type=argtypes.positive_int, default=1,
                     help="threads for each replicate's agent loops (default 1; same results "
                          "for any value; helps one large replicate on a many-core machine)")
    run.set_defaults(handler=_run)


def _add_compare(sub) -> None:
    compare = sub.add_parser(
        "compare", help="run policy scenarios against a base with common random numbers")
    compare.add_argument("base", type=Path, help=f"base {_SCENARIO_ARGUMENT}")
    compare.add_argument("policies", type=Path, nargs="+", metavar="policy",
                         help="policy scenario file(s) or shipped name(s), same regions and "
                              "horizon as base")
    compare.add_argument("--replicates", type=argtypes.positive_int,
                         help="override the base's replicates (applies to all)")
    compare.add_argument("--seed", type=argtypes.seed,
                         help="override the base's seed (applies to all)")
    compare.add_argument("--scale", type=argtypes.scale,
                         help="override the base's scale, 0 < x <= 1 (applies to all)")
    _add_parameters(compare)
    compare.add_argument("--out", type=Path,
                         help="output folder (default runs/compare-<base>-vs-<policies>)")
    _add_overwrite(compare)
    _add_workers(compare, "parallel processes for replicates")
    compare.add_argument("--no-contributions", action="store_true",
                         help="skip the runs without each instrument (no contributions)")
    compare.set_defaults(handler=_compare)


def _add_calibrate(sub) -> None:
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


def _add_sweeps(sub) -> None:
    for name, help_text in (("sweep", "run a sweep file's design points (resumable)"),
                            ("sensitivity", "run a sweep file and compute Sobol or Morris "
                                            "sensitivity indices")):
        sweep = sub.add_parser(name, help=help_text)
        sweep.add_argument("file", type=Path, help="sweep TOML file")
        sweep.add_argument("--out", type=Path, help="output folder (default runs/sweep-<name>)")
        _add_executor(sweep)
        _add_overwrite(sweep)
        sweep.add_argument("--figure", action="store_true",
                           help="also draw points.png: the headline output at each design point "
                                "against each factor")
        sweep.set_defaults(handler=_sweep, analyse=name == "sensitivity")


def _add_design(sub) -> None:
    design = sub.add_parser(
        "design", help="search the cheapest policy mix reaching a required P(target) "
                       "(resumable; docs/design.md)")
    design.add_argument("file", type=Path, help="design TOML file")
    design.add_argument("--out", type=Path, help="output folder (default runs/design-<name>)")
    _add_executor(design)
    _add_overwrite(design)
    design.set_defaults(handler=_design)


def _add_executor(parser: argparse.ArgumentParser) -> None:
    """Add ``--workers``, and ``--scheduler`` or ``--dask-local``: where the runs go."""
    _add_workers(parser, "local processes, or Dask workers with --dask-local")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on a running Dask scheduler (tcp://host:8786)")
    where.add_argument("--dask-local", action="store_true",
                       help="run on a Dask LocalCluster of --workers processes")


def _add_report(sub) -> None:
    report = sub.add_parser(
        "report", help="write one self-contained HTML page from a run, compare or sweep folder")
    report.add_argument("run_dir", type=Path, metavar="RUN_DIR",
                        help="output folder of devise run, compare, sweep or sensitivity")
    report.add_argument("--out", type=Path, help="HTML file to write (default RUN_DIR/report.html)")
    report.set_defaults(handler=_report)


def _add_regions(sub) -> None:
    regions = sub.add_parser("regions", help="list the ten partner region models")
    regions.set_defaults(handler=_regions)


def _add_scenarios(sub) -> None:
    scenarios = sub.add_parser(
        "scenarios", help="list the shipped scenarios; 'copy NAME' copies one out to edit")
    scenarios.set_defaults(handler=_list_scenarios)
    action = scenarios.add_subparsers(metavar="ACTION")
    copy = action.add_parser(
        "copy", help="copy a shipped scenario, with the files it extends, to edit it")
    copy.add_argument("name", metavar="NAME", help="scenario name (as devise scenarios lists it)")
    copy.add_argument("dest", type=Path, nargs="?", default=Path("."), metavar="DEST",
                      help="folder to copy into, keeping the shipped layout (default: the "
                           "current folder)")
    copy.add_argument("--overwrite", action="store_true",
                      help="replace files in DEST that differ from the shipped ones (without it "
                           "they are refused and nothing is written)")
    copy.set_defaults(handler=_copy_scenario)


def _run(args: argparse.Namespace) -> int:
    path = _scenario_file(args.scenario)
    compiling = _first_compile()
    _warm_workers(args)
    from .scenario import load_scenario

    scenario = load_scenario(path).with_overrides(  # checked before the model is imported
        replicates=args.replicates, seed=args.seed, scale=args.scale,
        parameters=args.parameters)
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

    check_inputs(scenario)
    out = args.out or Path("runs") / scenario.name
    if claim_folder(out, "run", content_key(scenario), run_identity(scenario), args.overwrite):
        done = checkpointed(out / ".replicates", scenario)
        _err().print(f"resuming in {_escape(out)}: {done} of {scenario.replicates} "
                     "replicates already done", highlight=False)
    _err().print(f"[bold]{_escape(scenario.name)}[/]: {len(scenario.regions)} regions, "
                 f"{scenario.replicates} replicates, scale {scenario.scale:g}, "
                 f"seed {scenario.seed}, {_parameters_note(scenario)}, {args.workers} "
                 f"worker(s) x {args.threads} thread(s)")
    if compiling:
        _compile_kernels(scenario, args.threads, compiling)
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
    _print_summary(summary, scenario.scale, scenario.replicates)
    _err().print(f"wrote {_escape(out)}/summary.csv, timeseries.parquet, parameters.parquet, "
                 f"manifest.json, kpi.png in {wall:.1f} s", highlight=False)
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


def _print_summary(summary, scale: float, replicates: int) -> None:
    """Print the per-region table, for the reported years the run reaches (2021, 2022)."""
    from rich.table import Table

    from .formatting import count, probability, region_label, share

    years = [y for y in (2021, 2022) if f"enabling_{y}" in summary]
    table = Table(title="Enabling digital SMEs against the DEVISE target (+15% on 2018Q4)")
    headers = ["region", "2018Q4"]
    for y in years:
        headers += [f"{y}Q4", f"growth\n{y}", f"P(target)\n{y}"]
    rows = []
    for row in summary.to_dict("records"):
        cells = [_escape(region_label(row["region"])), count(row["baseline_enabling"])]
        for y in years:
            cells += [count(row[f"enabling_{y}"]), share(row[f"growth_{y}"], sign=True),
                      probability(row[f"p_target_{y}"])]
        rows.append(cells)
    _add_columns(table, headers, rows)
    for cells in rows:
        table.add_row(*cells)
    _out().print(table)
    _print_scale_note(scale, replicates)


_REGION_WIDTH = 24
"""Widest a region's code and name are shown in a table (longer ones wrap)."""


def _add_columns(table, headers: list[str], rows: list[list[str]]) -> None:
    """Add a region column, then right-aligned columns as wide as their values and header lines.

    On a narrow terminal the region's name wraps, and a number never does.
    """
    table.add_column(headers[0], max_width=_REGION_WIDTH)
    for i, header in enumerate(headers[1:], start=1):
        width = max(*(len(cells[i]) for cells in rows), *map(len, header.split("\n")))
        table.add_column(header, justify="right", width=width)


def _print_scale_note(scale: float, replicates: int) -> None:
    """Under a table of a run below full scale: what its counts and P(target) are worth."""
    from .formatting import scale_note

    if scale < 1.0:
        _out().print(f"[bold yellow]warning:[/] {_escape(scale_note(scale, replicates))}")


def _compare(args: argparse.Namespace) -> int:
    base_path = _scenario_file(args.base)
    policy_paths = [_scenario_file(path) for path in args.policies]
    compiling = _first_compile()
    _warm_workers(args)
    from .scenario import check_scenario, load_scenario

    for path in (base_path, *policy_paths):
        check_scenario(path)  # every file, before the model is imported
    base = load_scenario(base_path).with_overrides(
        replicates=args.replicates, seed=args.seed, scale=args.scale,
        parameters=args.parameters)
    policies = [load_scenario(path) for path in policy_paths]
    from .compare import YEARS, compare, plan
    from .folders import claim_folder, content_key_of
    from .outputs import run_identity
    from .runner import check_inputs, checkpointed

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
        _err().print(f"resuming in {_escape(out)}: {done} of "
                     f"{len(runs) * base.replicates} replicates already done", highlight=False)
    names = _escape(", ".join(p.name for p in policies))
    _err().print(f"[bold]{names}[/] against [bold]{_escape(base.name)}[/]: "
                 f"{len(runs)} scenario(s) to run, {len(base.regions)} regions, "
                 f"{base.replicates} replicates, scale {base.scale:g}, seed {base.seed}, "
                 f"{args.workers} worker(s)")
    if compiling:
        _compile_kernels(scenarios.policies[0], 1, compiling)
    t0 = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task("replicates", total=len(runs) * base.replicates)

        def advance(name: str, replicate: int) -> None:
            bar.update(task, advance=1, description=_escape(name))

        result = compare(base, policies, workers=args.workers, out_dir=out,
                         contributions=not args.no_contributions, on_done=advance)
    _print_comparison(result.comparison, base.name, YEARS)
    if not result.contributions.empty:
        _print_contributions(result.contributions, YEARS)
    _print_scale_note(base.scale, base.replicates)
    files = "comparison.csv, contributions.csv, timeseries.parquet, manifest.json, comparison.png"
    if not result.contributions.empty:
        files += ", contributions.png"
    _err().print(f"wrote {_escape(out)}/{files} in {time.perf_counter() - t0:.1f} s",
                 highlight=False)
    return 0


def _print_comparison(comparison, base: str, years: tuple[int, ...]) -> None:
    from rich.table import Table

    from .formatting import band, eur, probability, region_label

    for policy, rows_of_policy in comparison.groupby("policy", sort=False):
        table = Table(
            title=_escape(f"{policy} against {base}: additional enabling SMEs at the end of "
                          "the year"),
            caption="additional: policy - base, mean [5-95% of replicates]; P(target): share "
                    "of replicates at +15% on 2018Q4; spend: additional public spend to the "
                    "end of the year")
        rows, ends = [], []
        for row in rows_of_policy.to_dict("records"):
            for y in years:
                rows.append([
                    _escape(region_label(row["region"])) if y == years[0] else "", str(y),
                    band([row[f"additional_{y}"], row[f"additional_{y}_p05"],
                          row[f"additional_{y}_p95"]], sign=True),
                    f"{probability(row[f'base_p_target_{y}'])} -> "
                    f"{probability(row[f'policy_p_target_{y}'])}",
                    eur(row[f"additional_spend_{y}"]), eur(row[f"cost_per_sme_{y}"])])
                ends.append(y == years[-1])
        _add_columns(table, ["region", "year", "additional\nSMEs", "P(target)\nbase -> policy",
                             "additional\nspend", "per additional\nSME"], rows)
        for cells, end in zip(rows, ends, strict=True):
            table.add_row(*cells, end_section=end)
        _out().print(table)


def _print_contributions(contributions, years: tuple[int, ...]) -> None:
    from rich.table import Table

    from .formatting import band, eur

    table = Table(
        title="Contributions of the instruments, all regions",
        caption="SMEs: policy - policy without the instrument, mean [5-95% of replicates]; "
                "interaction: total effect - sum of contributions; spend: attributed to "
                "the end of the year")
    for col in ("policy", "instrument", "year", "SMEs", "spend", "per SME"):
        table.add_column(col, justify="left" if col in ("policy", "instrument") else "right")
    total = contributions[contributions["region"] == "ALL"]
    for (policy, instrument), rows in total.groupby(["policy", "instrument"], sort=False):
        for row in rows.set_index("year").loc[list(years)].reset_index().to_dict("records"):
            first = row["year"] == years[0]
            table.add_row(
                _escape(policy) if first else "", _escape(instrument) if first else "",
                str(row["year"]), band([row["mean"], row["p05"], row["p95"]], sign=True),
                eur(row["spend"]), eur(row["cost_per_sme"]), end_section=row["year"] == years[-1])
    _out().print(table)


def _calibrate(args: argparse.Namespace) -> int:
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
    from .calibration.store import fit_quality
    from .calibration.workflow import calibrate_region, calibrate_regions, is_current
    from .fitted import SMOKE_FOLDER

    skipped = [c for c in codes if not args.force and is_current(c, args.mode)]
    todo = [c for c in codes if c not in skipped]
    if skipped:
        _err().print(f"current, skipped (use --force to refit): {', '.join(skipped)}")
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
    _err().print(f"calibrated {len(todo)} region(s) in {time.perf_counter() - started:.0f} s "
                 f"({args.mode} mode)")
    if args.mode != "full":
        _err().print(f"{args.mode} fits are written to calibration/{SMOKE_FOLDER}/; region "
                     "models keep reading calibration/regions/", highlight=False)
    _print_fit_table([(c, fit_quality(c, mode=args.mode)) for c in codes])
    return 0


def _calibrate_posterior(codes: list[str], args: argparse.Namespace) -> int:
    """Run ``devise calibrate --posterior``: one region after another.

    Each region's simulations run on ``--workers`` processes (or Dask); current posteriors
    are skipped.
    """
    _warm_workers(args)
    from .calibration.posterior import calibrate_posterior, posterior_is_current, write_posterior

    skipped = [c for c in codes if not args.force and posterior_is_current(c, args.mode)]
    if skipped:
        _err().print(f"current, skipped (use --force to redo): {', '.join(skipped)}")
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
    _err().print(f"posterior of {len(todo)} region(s) in {time.perf_counter() - started:.0f} s "
                 f"({args.mode} mode)")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    read_toml(args.file)
    from .sweep.spec import load_sweep  # the sweep table's keys are checked before the model

    compiling = _first_compile()  # before anything imports the model, which compiles kernels
    _warm_workers(args)
    spec = load_sweep(args.file)
    from .runner import check_inputs
    from .sweep.execute import execute_sweep, point_means, prepare_sweep
    from .sweep.functions import DeviseRun
    from .sweep.report import summarise_sweep, write_sensitivity

    if args.analyse:
        from .sweep.sensitivity import analyse, check_analysis

        check_analysis(spec)
    if isinstance(spec.function, DeviseRun):
        check_inputs(spec.function.base)
    out = args.out or Path("runs") / f"sweep-{spec.name}"
    sweep = prepare_sweep(spec, out, args.overwrite)
    design, runs = sweep.points, sweep.runs
    backend = (f"Dask scheduler {args.scheduler}" if args.scheduler else
               f"Dask LocalCluster of {args.workers}" if args.dask_local else
               f"{args.workers} local process(es)")
    _err().print(f"{_escape(spec.name)}: {len(design)} points x {spec.replicates} replicate(s) "
                 f"= {len(runs)} runs on {backend}; results in {_escape(out)}/runs (resumable)",
                 highlight=False)
    if sweep.done:
        _err().print(f"resuming: {len(sweep.done)} of {len(runs)} runs already stored",
                     highlight=False)
    if compiling and isinstance(spec.function, DeviseRun):
        _compile_kernels(spec.function.base, 1, compiling)
    started = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task("runs", total=len(runs))
        stored = execute_sweep(sweep, args.workers, args.scheduler, args.dask_local,
                               lambda done, total: bar.update(task, completed=done))
    _err().print(f"done in {time.perf_counter() - started:.1f} s", highlight=False)
    print(summarise_sweep(spec, stored, design, out, args.figure), end="")
    if args.analyse:
        result = analyse(spec, point_means(spec, stored), list(spec.analysis_outputs()), design,
                         spec.resamples, spec.conf_level)
        write_sensitivity(result, out, spec)
        _print_indices(result)
    return 0


def _design(args: argparse.Namespace) -> int:
    read_toml(args.file)
    from .design.spec import load_design  # the design table's keys are checked before the model

    compiling = _first_compile()  # before anything imports the model, which compiles kernels
    _warm_workers(args)
    spec = load_design(args.file)
    from .design.evaluate import DesignRun
    from .design.output import summary_text, write_design
    from .design.search import prepare_design, run_design
    from .runner import check_inputs

    simulated = isinstance(spec.function, DesignRun)
    if simulated:
        check_inputs(spec.function.base)
    out = args.out or Path("runs") / f"design-{spec.name}"
    stored = prepare_design(spec, out, args.overwrite)
    backend = (f"Dask scheduler {args.scheduler}" if args.scheduler else
               f"Dask LocalCluster of {args.workers}" if args.dask_local else
               f"{args.workers} local process(es)")
    _err().print(f"{_escape(spec.name)}: {spec.trials} candidates x {spec.replicates} "
                 f"replicate(s), {spec.sampler} in batches of {spec.batch}, on {backend}; "
                 f"results in {_escape(out)} (resumable)", highlight=False)
    if stored:
        _err().print(f"resuming: {stored} candidate runs already stored (read, not rerun)",
                     highlight=False)
    if compiling and simulated:
        _compile_kernels(spec.function.base, 1, compiling)
    with _progress() as bar:
        trials = bar.add_task("candidates", total=spec.trials)
        runs = bar.add_task("runs", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "candidates":
                bar.update(trials, completed=done)
            else:
                bar.update(runs, completed=done, total=total, description=stage)

        result = run_design(spec, out, args.workers, args.scheduler, args.dask_local, progress)
    summary = write_design(result, out)
    print(summary_text(summary), end="")
    _err().print(f"wrote {_escape(out)}/{', '.join(summary['files'])}", highlight=False)
    return 0


def _print_indices(result) -> None:
    from rich.table import Table

    table = Table(title="Sensitivity indices: value, then the confidence half-width")
    for col in ("output", "factor", "index", "value"):
        table.add_column(col, justify="left" if col != "value" else "right")
    for row in result.indices.to_dict("records"):
        conf = "" if math.isnan(row["conf"]) else f" [{row['conf']:.3f}]"
        table.add_row(row["output"], _escape(row["factor"]), row["index"],
                      f"{row['value']:.3f}{conf}")
    out = _out()
    out.print(table)
    for row in result.convergence.to_dict("records"):
        verdict = "converged" if row["converged"] else "NOT converged: use a larger N"
        out.print(f"{row['output']} {row['index']}: max change {row['max_change']:.3f} "
                  f"({verdict})", highlight=False)


def _print_fit_table(rows: list) -> None:
    from rich.table import Table

    from .formatting import region_label

    table = Table(title="Fit quality (calibration/regions/CODE.toml; figures in "
                        "calibration/diagnostics/)")
    for col in ("region", "mode", "objective provisional -> fitted", "moments within 2 sd",
                "worst moment (z)", "not identified"):
        table.add_column(col, justify="left")
    for code, q in rows:
        if q is None:
            table.add_row(region_label(code), "provisional", "not fitted", "", "", "")
            continue
        table.add_row(region_label(code), q["mode"],
                      f"{q['objective_provisional']:.1f} -> {q['objective']:.1f}",
                      f"{q['within_2']}/{q['moments']}", f"{q['worst']} ({q['worst_z']:+.1f})",
                      ", ".join(q["unidentified"]) or "none")
    _out().print(table)


def _report(args: argparse.Namespace) -> int:
    if not args.run_dir.is_dir():  # as write_report says it, without importing it (slow)
        raise InputError(str(args.run_dir), "", _RUN_DIR_EXPECTED,
                         "a file" if args.run_dir.exists() else "no such folder")
    from .report import write_report

    out = write_report(args.run_dir, args.out)
    _err().print(f"wrote {_escape(out)} ({out.stat().st_size / 1e6:.1f} MB)", highlight=False)
    return 0


_RUN_DIR_EXPECTED = "an output folder of devise run, compare, sweep or sensitivity"


_REGION_COLUMNS = {
    "code": "code", "name": "name", "country": "country", "n_digital_smes": "digital SMEs",
    "n_smart_firms": "smart firms", "dii_basic_share_2021": "DII basic 2021",
    "birth_rate": "births/yr", "death_rate": "deaths/yr",
}


def _regions(args: argparse.Namespace) -> int:
    from rich.table import Table

    from .calibration.store import fit_quality
    from .formatting import count, share
    from .regions import registry_table

    rows = registry_table()
    table = Table(title="DEVISE partner region models (full-scale counts derived from sourced "
                        "rows)")
    for title in _REGION_COLUMNS.values():
        table.add_column(title, justify="left" if title in ("code", "name") else "right")
    for row in rows:
        table.add_row(*(count(v) if isinstance(v, int) else share(v) if isinstance(v, float)
                        else _escape(v) for v in (row[key] for key in _REGION_COLUMNS)))
    out = _out()
    out.print(table)
    for row in rows:
        out.print(f"{row['code']}: sectors {row['sectors']}; proxies: {row['proxies'] or 'none'}",
                  highlight=False)
    out.print("Sources and derivations: calibration/regions.toml, calibration/data/")
    _print_fit_table([(code, fit_quality(code)) for code in (row["code"] for row in rows)])
    return 0


# --- shipped scenarios ---------------------------------------------------------------------

def _list_scenarios(args: argparse.Namespace) -> int:
    from rich.table import Table

    folder = shipped_folder("scenarios")
    table = Table(title=f"Shipped scenarios ({_escape(folder)}; sources in README.md there)",
                  caption="devise run NAME runs one; devise scenarios copy NAME [DEST] copies "
                          "it out to edit")
    for col in ("name", "file", "description"):
        table.add_column(col)
    for name, (file, description) in shipped_scenarios().items():
        table.add_row(_escape(name), _escape(file.as_posix()), _escape(description))
    _out().print(table)
    return 0


def _copy_scenario(args: argparse.Namespace) -> int:
    folder = shipped_folder("scenarios")
    file = shipped_file(args.name, "scenarios copy NAME")
    copies = [(folder / rel, args.dest / rel) for rel in with_bases(file, folder)]
    if args.dest.exists() and not args.dest.is_dir():
        raise InputError(str(args.dest), "", "a folder to copy into", "a file")
    clashes = [dest for source, dest in copies
               if dest.exists() and (dest.is_dir() or dest.read_bytes() != source.read_bytes())]
    if clashes and not args.overwrite:
        raise InputError(str(clashes[0]), "", "a new file (or --overwrite to replace it)",
                         "one that differs from the shipped copy", "nothing was written")
    for source, dest in copies:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    _err().print(f"wrote {', '.join(_escape(dest) for _, dest in copies)}; run it with "
                 f"devise run {_escape(copies[0][1])}", highlight=False)
    return 0


def _scenario_file(path: Path) -> Path:
    """Return the scenario file to read: ``path``, or the shipped scenario of that name.

    A name stands for a shipped scenario only where no such file exists; the file is checked
    as far as it can be without the model (:func:`simulation.tomlfiles.read_toml`).
    """
    if path.suffix == "" and path.name in shipped_scenarios() and not path.exists():
        path = shipped_folder("scenarios") / shipped_file(path.name, "scenario")
    read_toml(path)
    return path


# --- the first run on a machine --------------------------------------------------------------

def _first_compile() -> float | None:
    """Say so, and return the time, if the kernels have not been compiled for these sources yet.

    That is, numba's cache folder for the current compiled sources (``$NUMBA_CACHE_DIR``,
    set by :func:`simulation.compiled.use_current_cache`) is missing or empty. Called before
    the heavy imports, which compile the first kernels.
    """
    if _kernels_cached():
        return None
    folder = os.environ["NUMBA_CACHE_DIR"]
    _err().print(f"first run on this machine: compiling the simulation kernels ({COMPILE_TIME}; "
                 f"once: they are cached in {_escape(folder)})", highlight=False)
    return time.perf_counter()


def _kernels_cached() -> bool:
    """Whether the kernels are compiled for the current sources (or it is not ours to know).

    That is, numba's cache folder ``$NUMBA_CACHE_DIR`` is not empty, or not set.
    """
    folder = os.environ.get("NUMBA_CACHE_DIR")
    return not folder or (Path(folder).is_dir() and any(Path(folder).iterdir()))


def _warm_workers(args: argparse.Namespace) -> None:
    """Start the forkserver local worker processes fork from, with the model imported.

    On unless ``DEVISE_WARM_WORKERS=0``. Only for a command that will run on several local
    processes (not on Dask, whose LocalCluster spawns its workers: forked ones hung a sweep
    in which a run kills its worker, docs/performance.md "Warm workers") and whose kernels
    are compiled already (a first run compiles them in this process first, and its workers
    spawn as before). See :mod:`simulation.workers`.
    """
    if (os.environ.get("DEVISE_WARM_WORKERS") != "0" and _kernels_cached()
            and args.workers > 1 and not getattr(args, "scheduler", None)
            and not getattr(args, "dask_local", False)):
        from .workers import start

        start()


def _compile_kernels(scenario, threads: int, started: float) -> None:
    """Compile the kernels a scenario's replicates call: one small replicate, in this process.

    The worker processes then load them from the cache instead of each compiling them.
    """
    from .kernels.parallel import kernel_threads
    from .runner import simulate_series

    with kernel_threads(threads):
        simulate_series(scenario.with_changes(scale=WARM_UP_SCALE), 0)
    _err().print(f"kernels compiled in {time.perf_counter() - started:.0f} s; later runs load "
                 "them from the cache", highlight=False)


# --- console helpers -------------------------------------------------------------------------

@functools.cache
def _err():
    """Return the console for messages and progress (stderr)."""
    from rich.console import Console

    return Console(stderr=True)


@functools.cache
def _out():
    """Return the console for tables (stdout)."""
    from rich.console import Console

    return Console()


def _escape(value: object) -> str:
    """``value`` as text, rich markup escaped."""
    from rich.markup import escape

    return escape(str(value))


def _add_overwrite(parser: argparse.ArgumentParser) -> None:
    """Add the ``--overwrite`` option: replace an output folder that holds another job."""
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the outputs in --out when they are of another job "
                             "(without it such a folder is refused)")


def _add_workers(parser: argparse.ArgumentParser, what: str) -> None:
    """Add the ``--workers`` option: a positive whole number, all cores by default."""
    parser.add_argument("--workers", type=argtypes.positive_int, default=os.cpu_count() or 1,
                        help=f"{what} (default: all cores)")


def _progress():
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=_err(), transient=False)


if __name__ == "__main__":
    console()
