"""The examples in the docstrings run and show what they say, and the README lists the registry.

Only these modules: the rest of the tree (ui/, benchmarks/) needs a server or a browser, so pytest's
--doctest-modules is not turned on for everything.
"""

import doctest
import importlib
import re
from pathlib import Path

import pytest

from optviz.optimizers import OPTIMIZERS

MODULES = ["optviz", "optviz.engine.evaluate", "optviz.engine.maps", "optviz.engine.trajectory", "optviz.engine.tuning",
           "optviz.race.mlp", "optviz.race.training"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=True)
    assert attempted > 0, f"{name} has no examples left to run: drop it from MODULES"
    assert failed == 0, f"{failed} of {attempted} examples in {name} failed (printed above)"


def test_the_readme_lists_every_optimizer_of_the_registry():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(\w+)` \|", readme.split("## The optimizers", 1)[1], flags=re.MULTILINE)
    assert listed == list(OPTIMIZERS), "the README's table of optimizers follows the registry's order"
