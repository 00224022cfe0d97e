"""The demo runner: parses the command line, runs demos with progress, writes the report."""

import argparse
import importlib
import json
import pathlib
import time

from demos.base import DemoConfig

# Course order. Each name is a module in demos/ exposing TITLE and run(config) -> DemoResult.
DEMOS = [
    "classifier", "autoencoder", "denoising", "sparse_autoencoder", "multimodal", "pairwise",
    "vanishing_gradient", "callbacks", "initialization", "training_speedups", "scale_out",
]


def available_demos():
    """The demo names whose module exists (course units land one by one)."""
    here = pathlib.Path(__file__).parent
    return [name for name in DEMOS if (here / f"{name}.py").exists()]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m demos", description=__doc__)
    parser.add_argument("names", nargs="*", help="demos to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the demos and exit")
    parser.add_argument("--quick", action="store_true", help="small data, few epochs")
    parser.add_argument("--dataset", default="digits",
                        help="digits (default), mnist, fashion-mnist or csv:PATH")
    parser.add_argument("--out", default="demos_out", help="output folder (default demos_out)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keras", action="store_true", help="also train the Keras twins")
    parser.add_argument("--verbose", type=int, default=0, help="1: a progress bar per epoch")
    return parser.parse_args(argv)


def run_demos(names, quick=False, dataset="digits", out="demos_out", seed=0, keras=False,
              verbose=0, progress=True):
    """Runs the named demos and writes ``<out>/index.html``; returns ``{name: DemoResult}``."""
    from tqdm.auto import tqdm

    import numpynet as nn
    from demos.report import write_report

    out = pathlib.Path(out)
    unknown = [n for n in names if n not in available_demos()]
    if unknown:
        raise SystemExit(f"Unknown demo(s) {unknown}; available: {available_demos()}")
    results, timings = {}, {}
    for name in tqdm(names, desc="demos", unit="demo", disable=not progress):
        module = importlib.import_module(f"demos.{name}")
        config = DemoConfig(quick=quick, dataset=dataset, out_dir=out / name, seed=seed,
                            keras=keras, verbose=verbose)
        config.out_dir.mkdir(parents=True, exist_ok=True)
        nn.utils.clear_session()
        nn.set_random_seed(seed)
        start = time.perf_counter()
        results[name] = module.run(config)
        timings[name] = time.perf_counter() - start
    commands = {name: _command([name], quick, dataset, out, seed, keras) for name in names}
    write_report(out, results, timings, commands, _command(names, quick, dataset, out, seed, keras))
    (out / "results.json").write_text(json.dumps(
        {name: {"title": r.title, "numbers": r.numbers,
                "figures": [f.path for f in r.figures]} for name, r in results.items()},
        indent=2, default=float))
    return results


def _command(names, quick, dataset, out, seed, keras):
    parts = ["python -m demos", *names]
    parts += ["--quick"] * quick + [f"--dataset {dataset}", f"--out {out}", f"--seed {seed}"]
    return " ".join(parts + ["--keras"] * keras)


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for name in available_demos():
            module = importlib.import_module(f"demos.{name}")
            print(f"{name:20s} {module.TITLE}")
        return 0
    names = args.names or available_demos()
    run_demos(names, quick=args.quick, dataset=args.dataset, out=args.out, seed=args.seed,
              keras=args.keras, verbose=args.verbose)
    print(f"Report: {pathlib.Path(args.out) / 'index.html'}")
    return 0
