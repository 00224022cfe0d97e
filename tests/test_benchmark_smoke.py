"""The benchmark in its seconds-long smoke mode: it runs, and its numbers are sane.

No speed is asserted (timings depend on the machine); what can fail is the benchmark itself:
a crash, a missing table, or a number that is not positive and finite. The smoke run measures
numpynet alone, so these tests need no TensorFlow.
"""

import math

import pytest

from benchmarks import gemm, report, runner
from benchmarks.__main__ import main, parse_args
from benchmarks.cases import CASES
from benchmarks.timing import Stats

pytestmark = pytest.mark.benchmark


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    output = tmp_path_factory.mktemp("benchmark") / "results.md"
    return main(["--smoke", "--output", str(output)]), output


def all_stats(result):
    yield from result.fit.values()
    yield from result.step.values()
    yield from result.predict.values()
    yield from result.phases.values()
    yield from (result.gemm, result.gemm_forward, result.float32_step, result.float64_step)


def test_smoke_run_measures_every_case_with_sane_numbers(smoke):
    results, _ = smoke
    assert results.mode == "smoke" and results.engines == ("numpynet",)
    assert [r.case.key for r in results.cases] == [c.key for c in CASES]
    for result in results.cases:
        for stats in all_stats(result):
            assert stats.is_sane(), (result.case.key, stats)
            assert stats.min <= stats.median <= stats.max
        assert math.isfinite(result.losses["numpynet"]) and result.losses["numpynet"] > 0
        assert result.params > 0 and result.gemm_flops > 0
    assert all(s.is_sane() for s in results.imports.values())
    peak = results.memory["autoencoder"]["numpynet"]
    assert 0 < peak["setup"] <= peak["fit"] < 10_000  # MiB


def test_smoke_run_writes_every_section(smoke):
    _, output = smoke
    text = output.read_text(encoding="utf-8")
    for heading in ("## Machine", "## Targets", "## Training speed", "## Predict throughput",
                    "## GEMM limit", "## Where numpynet's step goes", "## float64 against",
                    "## Import time", "## Peak memory of a fit", "## Method",
                    "## Where the time goes"):
        assert heading in text
    assert "TODO" not in text
    analysis = text.split("## Where the time goes, and what stands in the way")[1]
    assert "**Autoencoder" in analysis and "GFLOP/s" in analysis and "Adam" in analysis
    assert "| Autoencoder 784-256-64-256-784, batch 256 | fit, per batch |" in text
    assert "nan" not in text and " inf" not in text


def test_readme_table_replaces_only_the_marked_block(smoke, tmp_path):
    results, _ = smoke
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nintro\n\n{report.BEGIN}\nold table\n{report.END}\n\nrest\n",
                      encoding="utf-8")
    report.write(results, tmp_path / "results.md", readme)
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nintro\n\n" + report.BEGIN + "\n| ")
    assert text.endswith(report.END + "\n\nrest\n") and "old table" not in text
    assert "`import numpynet` vs `import tensorflow`" in text


def test_autoencoder_gemm_count():
    # forward 2·B·Σ in·out; backward twice that, without the first layer's input gradient
    layers = CASES[0].dense_layers
    forward = 2 * 256 * (784 * 256 + 256 * 64 + 64 * 256 + 256 * 784)
    gemms = gemm.train_step_gemms(256, layers)
    assert len(gemms) == 4 + 4 + 3
    assert gemm.total_flops(gemms) == 3 * forward - 2 * 256 * 784 * 256 == 564_133_888
    a, b = gemm.operands(gemms[4:5])[0]  # the last layer's kernel gradient: xᵀ @ G
    assert a.shape == (256, 256) and not a.flags.c_contiguous and b.shape == (256, 784)


def test_errors_name_what_was_expected(capsys):
    with pytest.raises(ValueError, match="Stats.of needs at least one measurement"):
        Stats.of([])
    with pytest.raises(ValueError, match=r"engines must be \('numpynet',\) or "
                                         r"\('numpynet', 'keras'\), got \('torch',\)"):
        runner.run(smoke=True, engines=("torch",))
    with pytest.raises(ValueError, match=r"Unknown benchmark case\(s\) \['mnist'\]; known cases"):
        runner.run(smoke=True, cases=("mnist",))
    with pytest.raises(ValueError, match="README has no '<!-- benchmark-table:begin -->'"):
        report.replace_between_markers("no markers here", "table")
    with pytest.raises(SystemExit):
        parse_args(["--repeats", "0"])
    assert "--repeats must be a positive integer, got 0" in capsys.readouterr().err
