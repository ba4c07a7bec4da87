"""The Examples in the package's docstrings run and print what they claim."""

import doctest
import importlib
import pkgutil

import pytest

import convexviz

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(convexviz.__path__, prefix="convexviz.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
