"""``bkfit predict``."""
from __future__ import annotations

import json

import click

from ._errors import fail


def _parse_set(items) -> dict:
    out = {}
    for it in items:
        if "=" not in it:
            fail(f"--set expects NAME=VALUE, got {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _parse_options(items) -> dict:
    opts = {}
    for it in items:
        k, _, v = it.partition("=")
        try:
            opts[k] = json.loads(v)
        except json.JSONDecodeError:
            opts[k] = v
    return opts


@click.command()
@click.argument("observables", nargs=-1, required=True)
@click.option("--model", "model_name", default="left", show_default=True)
@click.option("--set", "sets", multiple=True,
              help="NAME=VALUE: a Wilson coefficient or model parameter (complex like 1+2j) "
                   "or a physics parameter of the database (e.g. Vcb=0.0410)")
@click.option("--wcxf", "wcxf_file", default=None, type=click.Path(dir_okay=False),
              help="a WCxf file (YAML/JSON; any EFT, basis and scale, translated with wilson) "
                   "with the Wilson coefficients; --set adds others")
@click.option("--strict", is_flag=True,
              help="with --wcxf: coefficients no bkfit observable reads are an error")
@click.option("--option", "options", multiple=True, help="model option KEY=JSON")
@click.option("--json", "as_json", is_flag=True)
@click.option("--uncertainty", is_flag=True, help="mean and std over the nuisance priors")
@click.option("--samples", default=400, show_default=True, help="nuisance draws for --uncertainty")
@click.option("--seed", default=0)
def predict(observables, model_name, sets, wcxf_file, strict, options, as_json, uncertainty,
            samples, seed):
    """Predict OBSERVABLES (e.g. 'BR(B+->Knunu)', '<FL>(B0->K*nunu)[0,4]')."""
    from ..api import parse_observables
    from ..api import predict as predict_values

    parse_observables(observables)          # bad names are reported before bad --set items
    wc = _parse_set(sets)
    if wcxf_file is not None:
        from ..models.wcxf import merge, translate
        if model_name != "left":
            fail(f"--wcxf gives Wilson coefficients: it needs --model left, not {model_name}")
        wc = merge(translate(wcxf_file, strict=strict, label="--wcxf"), wc)
    elif strict:
        fail("--strict applies to --wcxf only")
    result = predict_values(observables, wc=wc, model=model_name,
                            options=_parse_options(options), uncertainty=uncertainty,
                            samples=samples, seed=seed, _label="--set")
    if as_json:
        click.echo(json.dumps(result))
        return
    for k, v in result.items():
        if isinstance(v, dict):
            click.echo(f"{k:40s} {v['mean']:.6g} +- {v['std']:.3g}")
        else:
            click.echo(f"{k:40s} {v:.6g}")
