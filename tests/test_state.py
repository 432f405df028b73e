"""The growable column table behind every population."""

import numpy as np
import pytest

from simulation.state import Column, Table

COLUMNS = {"alive": Column("bool"), "size": Column("f8", fill=1.0), "pair": Column("i4", (2,), -1)}


def test_column_views_follow_rows_growth_and_keep():
    t = Table(COLUMNS, capacity=2)
    assert t.alive.shape == (0,) and t.pair.shape == (0, 2)
    rows = t.append(3)  # grows past the capacity
    assert list(rows) == [0, 1, 2] and t.capacity >= 3
    assert t.size.tolist() == [1.0, 1.0, 1.0] and t.pair.tolist() == [[-1, -1]] * 3
    t.size[:] = [5.0, 6.0, 7.0]  # views write through to the table
    t.alive[[0, 2]] = True
    t.n += 0
    assert t.size.tolist() == [5.0, 6.0, 7.0]
    t.keep(t.alive.copy())
    assert t.n == 2 and t.size.tolist() == [5.0, 7.0] and t.alive.all()
    assert t.full("size")[2] == 1.0  # dropped rows are reset to their fill
    before = t.size
    t.keep(np.ones(2, dtype=bool))  # keeping everything changes nothing
    assert t.size is before
    t.reserve(100)
    assert t.capacity >= 102 and t.size.tolist() == [5.0, 7.0]
    t.n = 3  # a kernel appended a row past n
    assert t.size.tolist() == [5.0, 7.0, 1.0]


def test_column_names_must_not_hide_table_attributes():
    with pytest.raises(ValueError, match="clash"):
        Table({"keep": Column("bool")})
