"""``bkfit list``."""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from ._errors import fail


@click.command("list")
@click.argument("what", type=click.Choice(["observables", "models", "likelihoods", "parameters"]))
@click.argument("model", required=False)
@click.option("--dir", "lik_dir", default=None,
              help="folder of likelihood files (default: ./likelihoods if there, else the "
                   "shipped ones)")
def list_(what, model, lik_dir):
    """List observables, models, likelihood entries, or a model's parameters."""
    if what == "observables":
        _observables()
    elif what == "models":
        _models()
    elif what == "likelihoods":
        _likelihoods(_likelihood_dir(lik_dir))
    else:
        if not model:
            fail("usage: bkfit list parameters MODEL")
        _parameters(model)


def _observables():
    from .. import observables as obsreg
    for n in obsreg.all_names():
        s = obsreg.get(n)
        args = f"[{','.join(s.args)}]" if s.args else ""
        ext = " (bkfit extension)" if s.extension else ""
        click.echo(f"{n}{args}\t{s.description}{ext}")


def _models():
    from ..models import MODELS, get_model_class
    for n in sorted(MODELS):
        click.echo(f"{n}\t{get_model_class(n).description}")


def _likelihood_dir(lik_dir) -> Path:
    from ..inputs.shipped import shipped_dir
    if lik_dir is None:
        here = Path("likelihoods")
        return here if here.is_dir() and any(here.glob("*.yaml")) else shipped_dir("likelihoods")
    d = Path(lik_dir)
    if not d.is_dir():
        fail(f"--dir {lik_dir}: no such folder")
    return d


def _likelihoods(lik_dir: Path):
    from ..likelihood.loader import load_file
    files = sorted(lik_dir.glob("*.yaml"))
    if not files:
        fail(f"no likelihood files (*.yaml) in {lik_dir}")
    for f in files:
        try:
            terms = load_file(f)
        except InputError as e:
            click.echo(f"{f}: INVALID: {e}")
            continue
        for t in terms:
            ref = t.reference.citation if t.reference else ""
            req = ", ".join(n for n, _ in t.requests())
            click.echo(f"{f.name}\t{t.name}\t{type(t).__name__}\t{req}\t{ref}")


def _parameters(model: str):
    from ..models import get_model_class
    cls = get_model_class(model)          # ModelError: exit code 2
    click.echo(f"model '{model}': {cls.description}")
    click.echo(f"options: {', '.join(cls.option_keys) or 'none'}")
    if cls.default_priors:
        click.echo(f"default priors: {cls.default_priors}")
    try:
        m = cls({})
        click.echo("parameters (default options): " + ", ".join(m.parameters()))
    except Exception as e:  # noqa: BLE001
        click.echo(f"parameters depend on options: {e}")
    if cls.__doc__:
        click.echo(cls.__doc__)
