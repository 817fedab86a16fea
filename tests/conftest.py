import os
import warnings

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")
warnings.filterwarnings("ignore", category=FutureWarning, module="arviz")


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run tests marked slow (real NUTS fits); CI does")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow") or os.environ.get("BKFIT_RUN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def par():
    import bkfit  # noqa: F401  (float64)
    from bkfit.inputs import load_db
    return dict(load_db().central)


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def repo_root():
    return ROOT
