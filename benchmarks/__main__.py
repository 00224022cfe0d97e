"""``python -m benchmarks [--smoke] [--engines numpynet,keras] [--repeats N] ...``"""

import argparse
import pathlib
import sys

from benchmarks import report, runner


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Times numpynet against Keras 3 (TensorFlow CPU) and writes "
                    "benchmarks/results.md and the README's performance table.")
    parser.add_argument("--smoke", action="store_true",
                        help="seconds-long run (numpynet only unless --engines says otherwise); "
                             "writes nothing unless --output is given")
    parser.add_argument("--engines", default=None,
                        help="comma-separated: numpynet or numpynet,keras "
                             "(default: both; numpynet in --smoke)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per quantity")
    parser.add_argument("--cases", default=None,
                        help="comma-separated case keys (default: all): "
                             "autoencoder,deep_narrow,pairwise_16,pairwise_256")
    parser.add_argument("--output", type=pathlib.Path, default=None,
                        help="where to write results.md (default: benchmarks/results.md; "
                             "with --smoke, nothing is written without it)")
    parser.add_argument("--no-readme", action="store_true",
                        help="do not rewrite the README's performance table")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be a positive integer, got {args.repeats}")
    return args


def _split(text):
    """``"a,b"`` -> ``("a", "b")``; None stays None."""
    return tuple(text.split(",")) if text else None


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    results = runner.run(smoke=args.smoke, engines=_split(args.engines), repeats=args.repeats,
                         cases=_split(args.cases), log=lambda line: print(line, flush=True))
    print(report.readme_table(results))
    if args.smoke and args.output is None:
        return results
    output = args.output or report.RESULTS_PATH
    # A smoke run or a run on part of the cases never touches the README.
    full = not args.smoke and args.cases is None
    report.write(results, output, None if args.no_readme or not full else report.README_PATH)
    print(f"wrote {output}" + ("" if args.no_readme or not full else " and README.md"))
    return results


if __name__ == "__main__":
    main()
