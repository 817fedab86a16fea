"""Build hook: the wheel carries the top-level likelihoods/, priors/ and runs/ folders.

They stay at the top level of the repository; at build time ``build_py`` copies them into
``bkfit/_shipped/`` of the build tree, so a regular install (``pip install .``, a built
wheel) has them inside the package.  An editable install (``pip install -e .``) copies
nothing: bkfit then reads the repository's own folders (see bkfit/inputs/shipped.py).
Everything else is configured in pyproject.toml."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("likelihoods", "priors", "runs")


class BuildPyWithShippedData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "bkfit" / "_shipped"
        shutil.rmtree(target, ignore_errors=True)       # no stale files from an earlier build
        for kind in SHIPPED:
            src = HERE / kind
            if not src.is_dir():
                raise SystemExit(f"setup.py: {src} is missing; cannot ship {kind}/")
            shutil.copytree(src, target / kind, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc",
                                                          ".ipynb_checkpoints"))


setup(cmdclass={"build_py": BuildPyWithShippedData})
