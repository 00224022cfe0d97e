"""The demo runner end to end: report, figures, numbers and the command line."""

import json
import re

import pytest

from demos import runner


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demos_out")
    results = runner.run_demos(["classifier"], quick=True, out=out, progress=False)
    return out, results["classifier"]


def test_report_lists_every_figure_and_they_are_pngs(classifier_run):
    out, result = classifier_run
    page = (out / "index.html").read_text()
    assert result.figures, "the classifier demo must write figures"
    for figure in result.figures:
        assert f'src="{figure.path}"' in page
        data = (out / figure.path).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    # offline: no external assets, only relative image paths
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_report_numbers_are_the_ones_the_demo_returned(classifier_run):
    out, result = classifier_run
    saved = json.loads((out / "results.json").read_text())["classifier"]["numbers"]
    assert saved == pytest.approx(result.numbers)
    page = (out / "index.html").read_text()
    assert f"{result.numbers['test accuracy']:.4g}" in page
    assert "python -m demos classifier --quick" in page


def test_classifier_learns_in_quick_mode(classifier_run):
    _, result = classifier_run
    numbers = result.numbers
    assert numbers["epochs"] == 3
    assert numbers["test accuracy"] > 0.3  # ten classes: chance is 0.1
    assert numbers["parameters"] == 64 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10


def test_list_prints_every_available_demo(capsys):
    assert runner.main(["--list"]) == 0
    printed = capsys.readouterr().out
    for name in runner.available_demos():
        assert name in printed


def test_unknown_demo_name_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="Unknown demo"):
        runner.run_demos(["no_such_demo"], out=tmp_path, progress=False)


def test_unknown_dataset_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown dataset 'imagenet'"):
        runner.run_demos(["classifier"], quick=True, dataset="imagenet", out=tmp_path,
                         progress=False)


@pytest.mark.slow
def test_classifier_runs_on_real_fashion_mnist(tmp_path):
    results = runner.run_demos(["classifier"], quick=True, dataset="fashion-mnist",
                               out=tmp_path, progress=False)
    assert results["classifier"].numbers["test accuracy"] > 0.3
