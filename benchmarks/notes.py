"""The prose of ``benchmarks/results.md``: method, and the analysis built from the numbers."""

GEMM_METHOD = "TODO"
METHOD = "TODO"


def analysis(results):
    return "TODO"
