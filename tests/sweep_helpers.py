"""Run functions for the sweep tests: the Ishigami function, with a way to misbehave.

They live in a module of their own (not a test file) so that spawned worker processes can
unpickle them: a spawned process inherits the parent's ``sys.path``, where conftest.py put
this folder. Each has Ishigami's content, so its sweep has the same key and run ids as the
plain Ishigami sweep of the same file.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from simulation.sweep.functions import Ishigami


@dataclass
class LikeIshigami:
    """Ishigami's factors, outputs, content and values."""

    inner: Ishigami = field(default_factory=Ishigami)

    def declared(self):
        return self.inner.declared()

    def outputs(self):
        return self.inner.outputs()

    def content(self):
        return self.inner.content()

    def __call__(self, values: Mapping[str, float], replicate: int) -> dict[str, float]:
        return self.inner(values, replicate)


@dataclass
class KillsItsProcess(LikeIshigami):
    """Kills the worker process it runs in (SIGKILL, or ``os._exit(3)``) at one value of x1."""

    x1: float = 0.0
    how: str = "sigkill"

    def __call__(self, values: Mapping[str, float], replicate: int) -> dict[str, float]:
        if values["x1"] == self.x1:
            if multiprocessing.parent_process() is None:
                raise RuntimeError("refusing to kill the test process itself")
            if self.how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(3)
        return super().__call__(values, replicate)


@dataclass
class Interrupted(LikeIshigami):
    """Raises KeyboardInterrupt (as Ctrl-C would) at its ``at``-th call, counting from 0."""

    at: int = 0
    calls: int = 0

    def __call__(self, values: Mapping[str, float], replicate: int) -> dict[str, float]:
        self.calls += 1
        if self.calls - 1 == self.at:
            raise KeyboardInterrupt
        return super().__call__(values, replicate)


HELD: list[weakref.ref] = []
"""Weak references to the array each :class:`FailsHoldingMemory` run held when it failed."""


@dataclass
class FailsHoldingMemory(LikeIshigami):
    """Allocates an array, then fails with its frame in a reference cycle (the frame holds
    an exception whose traceback holds the frame), as a failed simulation can."""

    def __call__(self, values: Mapping[str, float], replicate: int) -> dict[str, float]:
        held = np.ones(1_000_000)
        HELD.append(weakref.ref(held))
        try:
            raise ValueError("inner failure")
        except ValueError as error:
            kept = error  # frame -> kept -> its traceback -> frame
        raise RuntimeError("failed holding memory") from kept


@dataclass
class CannotStart(LikeIshigami):
    """Kills any worker process as it unpickles this function, before any run starts (as
    in a worker that cannot import the package, or a script without a ``__main__`` guard)."""

    pid: int = field(default_factory=os.getpid)

    def __setstate__(self, state: dict) -> None:
        if os.getpid() != state["pid"]:
            os._exit(1)
        self.__dict__.update(state)
