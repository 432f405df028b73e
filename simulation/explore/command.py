"""The ``explore`` sub-command: check the options, then serve the Solara page.

``add_parser(subparsers)`` registers it on the ``devise`` parser; ``python -m
simulation.explore`` runs it alone (:func:`main`). Bad input (an unknown region or
scenario, a port in use, a host that does not resolve, no Solara installed) is an
:class:`~simulation.errors.InputError` raised before Solara or the model is imported, so
``devise`` prints it and exits with code 2 at once.
"""

from __future__ import annotations

import argparse
import errno
import importlib.util
import os
import socket
import sys

from .. import argtypes
from ..errors import InputError, did_you_mean
from . import DEFAULT_REGION, DEFAULT_REPLICATES, DEFAULT_SCALE, DEFAULT_SCENARIO, ENV

APP = "simulation.explore.app"
"""The module Solara serves."""

DEFAULT_PORT = 8765
"""Solara's own default port."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``explore`` with its options and handler on ``devise``'s sub-parsers."""
    parser = subparsers.add_parser(
        "explore", help="open a browser page to try instrument budgets in one region "
                        "against business as usual (Solara; no Jupyter needed)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"port to serve on (default {DEFAULT_PORT}; 0: any free port)")
    parser.add_argument("--host", default="localhost",
                        help="address to listen on (default localhost; 0.0.0.0: every "
                             "interface, for a page seen from other machines)")
    parser.add_argument("--no-browser", action="store_true",
                        help="do not open a browser tab; print the address only")
    parser.add_argument("--region", default=DEFAULT_REGION, metavar="CODE",
                        help=f"region the page starts with (default {DEFAULT_REGION}; "
                             "devise regions lists them)")
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, metavar="NAME",
                        help=f"shipped scenario the page starts with (default "
                             f"{DEFAULT_SCENARIO}; devise scenarios lists them)")
    parser.add_argument("--scale", type=argtypes.scale, default=DEFAULT_SCALE,
                        help=f"scale the page starts with (default {DEFAULT_SCALE:g})")
    parser.add_argument("--replicates", type=argtypes.positive_int, default=DEFAULT_REPLICATES,
                        help=f"replicates the page starts with (default {DEFAULT_REPLICATES})")
    parser.set_defaults(handler=explore)
    return parser


def explore(args: argparse.Namespace) -> int:
    """Check the options, then serve the page until interrupted; return the exit code.

    Raises:
        InputError: Unknown region or scenario, port in use or out of range, a host
            that does not resolve, or Solara not installed.

    """
    _check_region(args.region)
    _check_scenario(args.scenario)
    if importlib.util.find_spec("solara") is None:
        raise InputError("command line", "explore", "the solara package (pip install solara)",
                         "it is not installed")
    port = _free_port(args.host, args.port)
    os.environ.update({ENV["region"]: args.region, ENV["scenario"]: args.scenario,
                       ENV["scale"]: repr(args.scale),
                       ENV["replicates"]: str(args.replicates)})
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no calls home
    print(f"DEVISE explorer: http://{args.host}:{port} (Ctrl+C stops it)", file=sys.stderr,
          flush=True)
    from click.exceptions import Abort  # Solara's command line is a click command
    from solara.__main__ import run as solara_run

    try:
        solara_run.main([APP, "--host", args.host, "--port", str(port), "--production",
                         "--no-check-version", "--open" if not args.no_browser else "--no-open",
                         "--log-level", "warning"], standalone_mode=False)
    except (Abort, KeyboardInterrupt):  # click turns Ctrl+C into Abort
        pass
    print("DEVISE explorer stopped", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``explore`` alone (``python -m simulation.explore``); 2 for bad input."""
    parser = argparse.ArgumentParser(prog="devise")
    add_parser(parser.add_subparsers(required=True, metavar="COMMAND"))
    args = parser.parse_args(["explore", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.handler(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number in [0, 65535], found {text!r}")
    return value


def _check_region(code: str) -> None:
    from ..regions import region_codes

    if code not in region_codes():
        raise InputError("command line", "--region", "a region code (devise regions)",
                         repr(code), did_you_mean(code, region_codes()))


def _check_scenario(name: str) -> None:
    from ..shipped import shipped_scenarios

    names = shipped_scenarios()
    if name not in names:
        raise InputError("command line", "--scenario",
                         "the name of a shipped scenario (devise scenarios)", repr(name),
                         did_you_mean(name, names))


def _free_port(host: str, port: int) -> int:
    """Return ``port`` if the server can listen on it at ``host`` (any free port for 0)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise InputError("command line", "--host", "an address to listen on", repr(host),
                         exc.strerror) from None
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError("command line", "--port", "a free port",
                                 f"{port}, in use on {host}",
                                 "stop what uses it or pick another with --port") from None
            raise InputError("command line", "--host", "an address of this machine",
                             repr(host), exc.strerror) from None
        return sock.getsockname()[1]
