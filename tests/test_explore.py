"""devise explore: the page's logic without a browser, the command's bad input, and the page
itself in a real headless Chromium (system package, driven by playwright)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from simulation.errors import InputError
from simulation.explore import command, logic
from simulation.formatting import scale_note

TINY = {"scale": 0.02, "replicates": 2}
VOUCHERS = "IE04 innovation vouchers"  # the instrument of vouchers_and_hubs in IE04
OUTPUT = Path(__file__).parent / "output"


def choice(**changes) -> logic.Choice:
    return logic.Choice(**{"region": "IE04", "scenario": "vouchers_and_hubs", **TINY,
                           **changes})


# --- the logic, without a browser -----------------------------------------------------------

def test_build_applies_the_budgets_and_adds_instruments_in_the_region():
    base, policy = logic.build(choice(budgets={VOUCHERS: 2e6},
                                      added=(("matchmaking", 3e5), ("accelerator", 0.0))))
    assert base.name == logic.BASE and base.instruments == ()  # no baseline programme in IE04
    assert policy.name != base.name and policy.regions == base.regions == ("IE04",)
    assert (base.scale, base.replicates) == (0.02, 2)
    specs = {spec.name: spec for spec in policy.instruments}
    assert specs[VOUCHERS].params["budget_per_year"] == 2e6
    assert specs[VOUCHERS].params["voucher_value"] == 5000  # the file's own value is kept
    added = specs["added matchmaking 1"]
    assert (added.kind, added.regions, added.start, added.end) == (
        "matchmaking", ("IE04",), logic.ADDED_START, logic.ADDED_END)
    assert len(specs) == 2  # the ES13 hub is outside the region; a zero budget adds nothing


def test_a_zero_budget_removes_the_instrument_and_the_sliders_are_the_regions_own():
    _, policy = logic.build(choice(budgets={VOUCHERS: 0.0}))
    assert policy.instruments == ()
    scenario = logic.load_shipped("vouchers_and_hubs")
    assert [s.name for s in logic.instruments_in(scenario, "IE04")] == [VOUCHERS]
    assert [s.name for s in logic.instruments_in(scenario, "ES13")] == [
        "ES13 Industria 4.0 grants", "ES13 digital innovation hub"]


@pytest.mark.parametrize("changes, key", [({"region": "XX04"}, "regions"),
                                          ({"scale": 0.0}, "scale"),
                                          ({"budgets": {VOUCHERS: -1.0}}, "budget_per_year")])
def test_bad_values_are_refused_naming_the_key(changes, key):
    with pytest.raises(InputError, match=key):
        logic.build(choice(**changes))


def test_a_policy_equal_to_the_base_adds_nothing_replicate_by_replicate():
    progress = []
    result = logic.run(choice(scenario="baseline"), lambda done, total: progress.append(
        (done, total)))
    assert progress == [(1, 2), (2, 2)]  # one distinct scenario: the base's replicates only
    for year in (2021, 2022):
        assert result.row[f"additional_{year}"] == 0.0
        assert result.row[f"additional_spend_{year}"] == 0.0
    assert [r["cost_per_sme"] for r in logic.summary(result)] == ["n/a", "n/a"]


def test_a_run_summarises_base_and_policy_with_bands_and_the_target_line():
    progress = []
    result = logic.run(choice(budgets={VOUCHERS: 3e6}),
                       lambda done, total: progress.append((done, total)))
    assert progress[-1] == (4, 4)
    bands = result.index
    assert set(bands["scenario"]) == {"base", "policy"}
    at_baseline = bands[bands["quarter"] == "2018Q4"]
    assert list(at_baseline["median"]) == [100.0, 100.0]
    assert (bands["p05"] <= bands["median"]).all() and (bands["median"] <= bands["p95"]).all()
    assert result.row["additional_spend_2021"] > 0  # vouchers were paid
    rows = logic.summary(result)
    assert [r["year"] for r in rows] == ["2021", "2022"]
    assert rows[0]["spend"].startswith("EUR ")
    fig = logic.index_figure(result)
    ax = fig.axes[0]
    assert any(list(line.get_ydata()) == pytest.approx([115.0, 115.0]) for line in ax.get_lines())
    assert scale_note(0.02, 2).split(":")[0] in ax.get_title(loc="left")


# --- the command: bad input fails fast, with exit code 2 ------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["--region", "ES31"], "--region: expected a region code (devise regions), found 'ES31' "
                           "(did you mean 'ES13'?)"),
    (["--scenario", "vouchers"], "--scenario: expected the name of a shipped scenario"),
    (["--host", "no such host"], "--host: expected an address"),
])
def test_bad_options_exit_2_with_a_message(argv, message, capsys):
    assert command.main([*argv, "--no-browser"]) == 2
    assert message in capsys.readouterr().err


def test_a_port_in_use_exits_2(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert command.main(["--host", "127.0.0.1", "--port", str(port), "--no-browser"]) == 2
    assert f"--port: expected a free port, found {port}, in use on 127.0.0.1" in (
        capsys.readouterr().err)


def test_the_command_module_imports_neither_solara_nor_the_model():
    code = ("import sys, simulation.explore.command; "
            "print([m for m in ('solara', 'simulation.runner', 'pandas') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# --- the page in a headless Chromium --------------------------------------------------------

def _chromium() -> str | None:
    for path in ("/usr/lib/chromium/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser")):
        if path and os.access(path, os.X_OK):
            return path
    return None


@pytest.fixture
def server(tmp_path):
    """The explorer served by ``python -m simulation.explore`` on a free port (its URL)."""
    pytest.importorskip("solara", reason="the explorer needs solara")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulation.explore", "--host", "127.0.0.1", "--port", str(port),
         "--no-browser", "--region", "IE04", "--scenario", "vouchers_and_hubs",
         "--scale", str(TINY["scale"]), "--replicates", str(TINY["replicates"])],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the explorer did not start: "
                                + (tmp_path / "server.log").read_text())
                time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None,
                    reason="no system Chromium (apt-get install chromium; CI installs it)")
def test_the_page_runs_a_mix_and_shows_its_result(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    # What the page must show: the same run, made here (common random numbers, fixed seed).
    vouchers, = (spec for spec in logic.load_shipped("vouchers_and_hubs").instruments
                 if spec.name == VOUCHERS)
    top = 4 * vouchers.params["budget_per_year"]
    expected = logic.summary(logic.run(choice(budgets={VOUCHERS: top})))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server)
            run = page.get_by_role("button", name="Run")
            run.wait_for(timeout=60_000)
            assert page.get_by_text("Pick a region and a scenario").is_visible()
            assert page.locator(".devise-chart img").count() == 0
            # Move the vouchers' budget to the slider's top (4 x the file's EUR 1.1m).
            page.locator(".devise-budget .v-slider__thumb-container").first.focus()
            page.keyboard.press("End")
            page.get_by_text("EUR 4.4m/yr").wait_for(timeout=10_000)
            run.click()
            page.locator(".devise-chart img").wait_for(timeout=60_000)
            summary = page.locator(".devise-summary").inner_text()
            warning = page.get_by_text("Reduced scale:").inner_text()
            path = tmp_path / "explore.png"
            page.screenshot(path=str(path), full_page=True)
        finally:
            browser.close()
    for row in expected:
        for key in ("enabling", "additional", "p_target", "spend", "cost_per_sme"):
            assert row[key] in summary, (key, row[key], summary)
    assert scale_note(TINY["scale"], TINY["replicates"]) in warning
    assert path.stat().st_size > 30_000  # a page with a chart, not a blank one
    OUTPUT.mkdir(exist_ok=True)
    shutil.copyfile(path, OUTPUT / "explore.png")
    assert (OUTPUT / "explore.png").stat().st_size == path.stat().st_size
