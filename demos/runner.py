"""The demo runner: parses the command line, runs demos with progress, writes the report."""

import argparse
import contextlib
import importlib
import json
import os
import pathlib
import re
import sys
import time

from demos.base import DemoConfig

# Course order. Each name is a module in demos/ exposing TITLE and run(config) -> DemoResult.
DEMOS = [
    "classifier", "autoencoder", "denoising", "sparse_autoencoder", "multimodal", "pairwise",
    "vanishing_gradient", "callbacks", "initialization", "training_speedups", "scale_out",
]
DATASETS = ("digits", "mnist", "fashion-mnist")
VERBOSE = ("auto", "status", "0", "1", "2")
DESCRIPTION = """Runs the course demos (all, or the NAMEs given) and writes OUT/index.html with each
demo's numbers, tables and PNG figures, and OUT/results.json with the same numbers.

Progress: a bar over the demos and, by default when stderr is a terminal, one live status line
under it with the training of the current demo: which fit of the demo is running ("run 2"), its
epoch and its logs. Every epoch overwrites that line, so a long run leaves no scroll-back behind,
and without a terminal (tests, CI logs, pipes) the runner prints no training output at all."""
VERBOSE_HELP = (
    "training progress inside each demo: 'auto' (default) is 'status' when stderr is a "
    "terminal and 0 otherwise (tests, CI logs, pipes); 'status' is one live line under the "
    "demo bar, overwritten every epoch; 0 none; 1 a bar per epoch of every fit, kept "
    "(Keras' verbose=1, many lines); 2 Keras' verbose=2 log, printed for every epoch")


def available_demos():
    """The demo names whose module exists (course units land one by one)."""
    here = pathlib.Path(__file__).parent
    return [name for name in DEMOS if (here / f"{name}.py").exists()]


def check_request(names, dataset):
    """Refuses unknown demo names and malformed datasets before anything runs.

    Raises:
        ValueError: naming the bad demo(s) or dataset and what is accepted.
    """
    unknown = [n for n in names if n not in available_demos()]
    if unknown:
        raise ValueError(f"Unknown demo(s) {unknown}; available: {available_demos()} "
                         "(python -m demos --list).")
    if dataset.startswith("csv:"):
        if not os.path.isfile(dataset[4:]):
            raise ValueError(f"--dataset {dataset}: no such CSV file {dataset[4:]!r}.")
    elif dataset not in DATASETS:
        raise ValueError(f"Unknown dataset {dataset!r}: use digits, mnist, fashion-mnist or "
                         "csv:PATH.")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m demos", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="demos to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the demos and exit")
    parser.add_argument("--quick", action="store_true", help="small data, few epochs")
    parser.add_argument("--dataset", default="digits",
                        help="digits (default), mnist, fashion-mnist or csv:PATH")
    parser.add_argument("--out", default="demos_out", help="output folder (default demos_out)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of every random draw (default 0): a seed repeats a run")
    parser.add_argument("--keras", action="store_true", help="also train the Keras twins")
    parser.add_argument("--verbose", choices=VERBOSE, default="auto", help=VERBOSE_HELP)
    args = parser.parse_args(argv)
    if not args.list:
        try:
            check_request(args.names, args.dataset)
        except ValueError as error:
            parser.error(str(error))
    args.verbose = int(args.verbose) if args.verbose.isdigit() else args.verbose
    return args


def resolve_verbose(verbose, progress, terminal=None):
    """The runner's progress mode: ``"status"`` or the ``verbose`` that ``fit`` gets."""
    if verbose != "auto":
        return verbose
    terminal = sys.stderr.isatty() if terminal is None else terminal
    return "status" if progress and terminal else 0


def run_demos(names, quick=False, dataset="digits", out="demos_out", seed=0, keras=False,
              verbose="auto", progress=True):
    """Runs the named demos and writes ``<out>/index.html``; returns ``{name: DemoResult}``.

    Args:
        verbose: see ``VERBOSE_HELP``; ``"auto"`` is quiet unless stderr is a terminal.
        progress: show the bar over the demos.
    """
    from tqdm.auto import tqdm

    from demos.report import write_report

    check_request(names, dataset)
    out = pathlib.Path(out)
    mode = resolve_verbose(verbose, progress)
    results, timings = {}, {}
    with contextlib.ExitStack() as bars:  # closed even when a demo fails
        bar = bars.enter_context(tqdm(names, desc="demos", unit="demo", disable=not progress))
        status = bars.enter_context(tqdm(total=0, position=1, bar_format="{desc}",
                                         leave=False)) if mode == "status" else None
        for name in bar:
            bar.set_postfix_str(name)
            config = DemoConfig(quick=quick, dataset=dataset, out_dir=out / name, seed=seed,
                                keras=keras, verbose=2 if mode == "status" else mode)
            start = time.perf_counter()
            with contextlib.redirect_stdout(EpochStatus(status, name, sys.stdout)) \
                    if status is not None else contextlib.nullcontext():
                results[name] = _run_one(name, config)
            timings[name] = time.perf_counter() - start
    commands = {name: _command([name], quick, dataset, out, seed, keras) for name in names}
    write_report(out, results, timings, commands, _command(names, quick, dataset, out, seed, keras))
    (out / "results.json").write_text(json.dumps(
        {name: {"title": r.title, "numbers": r.numbers,
                "figures": [f.path for f in r.figures]} for name, r in results.items()},
        indent=2, default=float))
    return results


def _run_one(name, config):
    import numpynet as nn

    module = importlib.import_module(f"demos.{name}")
    config.out_dir.mkdir(parents=True, exist_ok=True)
    nn.utils.clear_session()
    nn.set_random_seed(config.seed)
    return module.run(config)


class EpochStatus:
    """A stand-in for stdout while a demo runs in ``status`` mode.

    With ``verbose=2`` a ``fit`` prints, as Keras does, an ``Epoch 3/10`` line when an epoch
    begins (if it runs more than one) and a ``15/15 - 0s - 3ms/step - loss: …`` line when it
    ends. The epoch and the logs become the text of ``status`` (a one-line tqdm bar), prefixed
    with the demo and the number of the ``fit`` ("run") they come from. Any other line goes
    above the bars.
    """

    EPOCH = re.compile(r"Epoch (\d+)/\d+$")
    SUMMARY = re.compile(r"\s*\d+/\d+ - ")

    def __init__(self, status, name, stdout):
        self.status, self.name, self.stdout = status, name, stdout
        self.runs, self.epoch, self._pending = 0, None, ""

    def write(self, text):
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def _line(self, line):
        epoch, summary = self.EPOCH.match(line), self.SUMMARY.match(line)
        if epoch:
            self.runs += epoch.group(1) == "1"
            self.epoch = line
            self._show(line)
        elif summary:
            self.runs += self.epoch is None  # a one-epoch fit prints no "Epoch" line
            parts = line.strip().split(" - ", 3)  # steps, seconds, time per step, logs
            logs = parts[3] if len(parts) == 4 else line.strip()
            self._show(f"{self.epoch} · {logs}" if self.epoch else logs)
            self.epoch = None
        elif line.strip():
            from tqdm.auto import tqdm
            tqdm.write(line, file=self.stdout)

    def _show(self, text):
        self.status.set_description_str(f"  {self.name} · run {self.runs} · {text}")

    def flush(self):
        pass


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
