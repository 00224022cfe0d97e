"""The demo runner end to end: report, figures, numbers, progress and the command line."""

import html
import io
import json
import math
import re

import numpy as np
import pytest

from demos import runner
from demos.report import _format

PNG = b"\x89PNG\r\n\x1a\n"
CLASSIFIER_PARAMETERS = {  # Dense 64 → 32 → classes, by input pixels and classes
    (64, 10): 64 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10,
    (784, 10): 784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10,
    (784, 4): 784 * 64 + 64 + 64 * 32 + 32 + 32 * 4 + 4,
}


def report_numbers(page):
    """``{demo: [(quantity, cell), ...]}``: the rows of every section's "Numbers" table, as the
    HTML shows them (cells still escaped)."""
    sections = re.split(r'<h2 id="', page)[1:]
    tables = {}
    for section in sections:
        name = section[:section.index('"')]
        match = re.search(r"<h3>Numbers</h3><table><tr><th>quantity</th><th>value</th></tr>"
                          r"(.*?)</table>", section)
        rows = match.group(1) if match else ""
        tables[name] = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", rows)
    return tables


def read(out, name="index.html"):
    return (out / name).read_text()


# ----------------------------------------------------------------- one demo through run_demos
@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demos_out")
    results = runner.run_demos(["classifier"], quick=True, out=out, progress=False)
    return out, results["classifier"]


def test_report_lists_every_figure_and_they_are_pngs(classifier_run):
    out, result = classifier_run
    page = read(out)
    assert result.figures, "the classifier demo must write figures"
    for figure in result.figures:
        assert f'src="{figure.path}"' in page
        data = (out / figure.path).read_bytes()
        assert data[:8] == PNG and len(data) > 5000
    # offline: no external assets, only relative image paths
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_report_numbers_are_the_ones_the_demo_returned(classifier_run):
    out, result = classifier_run
    saved = json.loads(read(out, "results.json"))["classifier"]["numbers"]
    assert saved == pytest.approx(result.numbers)
    rows = report_numbers(read(out))["classifier"]
    assert rows == [(html.escape(k), _format(v)) for k, v in result.numbers.items()]
    assert "python -m demos classifier --quick" in read(out)


def test_classifier_learns_in_quick_mode(classifier_run):
    _, result = classifier_run
    numbers = result.numbers
    assert numbers["epochs"] == 3
    assert numbers["test accuracy"] > 0.3  # ten classes: chance is 0.1
    assert numbers["parameters"] == CLASSIFIER_PARAMETERS[(64, 10)]


# ----------------------------------------------------------------- every demo, quick
def _assert_cell_shows(value, cell, where):
    """The cell is ``demos.report``'s rendering of ``value`` and reads back as that value."""
    assert cell == _format(value), where
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        assert html.unescape(cell) == str(value), where
    elif isinstance(value, (int, np.integer)):
        assert int(cell) == value, where
    elif math.isfinite(value):  # four significant digits
        assert float(cell) == pytest.approx(float(value), rel=6e-4, abs=1e-300), where
    else:
        assert cell.lower() == str(float(value)).lower(), where


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """Every demo but scale_out in quick mode (scale_out needs TensorFlow; its report and figure
    are checked in parity_tests/test_scale_out.py)."""
    out = tmp_path_factory.mktemp("quick_all")
    names = [n for n in runner.available_demos() if n != "scale_out"]
    return out, runner.run_demos(names, quick=True, out=out, progress=False)


@pytest.mark.slow
def test_quick_run_writes_the_report_and_every_figure_it_lists(quick_run):
    out, results = quick_run
    page = read(out)
    listed = re.findall(r'<img src="([^"]+)"', page)
    assert sorted(listed) == sorted(f.path for r in results.values() for f in r.figures)
    for name, result in results.items():
        assert result.figures, f"{name} writes no figure"
        assert f'<h2 id="{name}">' in page
        for figure in result.figures:
            assert figure.path.startswith(f"{name}/") and figure.path.endswith(".png")
            data = (out / figure.path).read_bytes()
            assert data[:8] == PNG and len(data) > 5000, figure.path


@pytest.mark.slow
def test_every_number_of_every_demo_is_in_the_report_table(quick_run):
    out, results = quick_run
    tables = report_numbers(read(out))
    assert list(tables) == list(results)
    saved = json.loads(read(out, "results.json"))
    for name, result in results.items():
        assert result.numbers, f"{name} reports no numbers"
        rows = tables[name]
        assert [html.unescape(q) for q, _ in rows] == list(result.numbers), name
        for (_, cell), (quantity, value) in zip(rows, result.numbers.items()):
            _assert_cell_shows(value, cell, f"{name}: {quantity}")
        assert saved[name]["numbers"] == pytest.approx(result.numbers), name


# ----------------------------------------------------------------- the command line
def run_main(argv, capsys):
    assert runner.main(argv) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


@pytest.fixture(scope="module")
def two_demos(tmp_path_factory):
    """``python -m demos denoising autoencoder --quick --seed 3 --out DIR`` and its output."""
    out = tmp_path_factory.mktemp("cli_two")
    capture = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdout", capture)
        assert runner.main(["denoising", "autoencoder", "--quick", "--seed", "3",
                            "--out", str(out)]) == 0
    return out, capture.getvalue()


def test_main_runs_only_the_named_demos_in_that_order(two_demos):
    out, printed = two_demos
    saved = json.loads(read(out, "results.json"))
    assert list(saved) == ["denoising", "autoencoder"]
    assert list(report_numbers(read(out))) == ["denoising", "autoencoder"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["autoencoder", "denoising"]
    # --out and nothing but the report line on stdout: training progress is off without a
    # terminal (pytest captures stderr).
    assert printed == f"Report: {out / 'index.html'}\n"


def test_main_passes_quick_seed_and_out_through(two_demos):
    out, _ = two_demos
    page = read(out)
    assert (f"python -m demos denoising autoencoder --quick --dataset digits --out {out} "
            "--seed 3") in page
    assert f"python -m demos autoencoder --quick --dataset digits --out {out} --seed 3" in page
    saved = json.loads(read(out, "results.json"))
    assert saved["autoencoder"]["numbers"]["epochs"] == 6  # quick; 60 on the full digits


def test_same_seed_repeats_and_another_seed_differs(two_demos, tmp_path, capsys):
    out, _ = two_demos
    first = json.loads(read(out, "results.json"))
    run_main(["denoising", "autoencoder", "--quick", "--seed", "3", "--out",
              str(tmp_path / "same")], capsys)
    assert json.loads(read(tmp_path / "same", "results.json")) == first
    run_main(["denoising", "autoencoder", "--quick", "--seed", "4", "--out",
              str(tmp_path / "other")], capsys)
    other = json.loads(read(tmp_path / "other", "results.json"))
    for name in first:
        assert first[name]["numbers"].keys() == other[name]["numbers"].keys()
        changed = [k for k, v in first[name]["numbers"].items()
                   if other[name]["numbers"][k] != v]
        assert changed, f"{name}: seed 4 gives the same numbers as seed 3"


def write_image_csv(path, rows_per_class=40, classes=4, seed=0):
    """The course's CSV format: label, then 784 pixels 0–255, no header. Class ``k`` is a bright
    horizontal band in rows ``7k..7k+6`` of the 28×28 image, over noise."""
    rng = np.random.default_rng(seed)
    lines = []
    for label in np.repeat(np.arange(classes), rows_per_class):
        image = rng.integers(0, 60, size=(28, 28))
        image[7 * label:7 * label + 7] += 150
        lines.append(",".join(map(str, [label, *image.ravel()])))
    rng.shuffle(lines)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_main_reads_a_csv_dataset(tmp_path, capsys):
    csv = write_image_csv(tmp_path / "images.csv")
    out = tmp_path / "out"
    run_main(["classifier", "--quick", "--dataset", f"csv:{csv}", "--out", str(out)], capsys)
    numbers = json.loads(read(out, "results.json"))["classifier"]["numbers"]
    assert numbers["parameters"] == CLASSIFIER_PARAMETERS[(784, 4)]  # 28×28 pixels, 4 labels
    assert numbers["test accuracy"] > 0.6  # four bands: chance is 0.25
    assert f"--dataset csv:{csv}" in read(out)


@pytest.mark.slow
def test_main_runs_on_real_fashion_mnist(tmp_path, capsys):
    out = tmp_path / "out"
    run_main(["classifier", "--quick", "--dataset", "fashion-mnist", "--out", str(out)], capsys)
    numbers = json.loads(read(out, "results.json"))["classifier"]["numbers"]
    assert numbers["parameters"] == CLASSIFIER_PARAMETERS[(784, 10)]
    assert numbers["test accuracy"] > 0.3  # ten classes: chance is 0.1
    assert "--dataset fashion-mnist" in read(out)


@pytest.mark.parametrize("argv, message", [
    (["no_such_demo"], "Unknown demo(s) ['no_such_demo']; available: ['classifier'"),
    (["classifier", "--dataset", "imagenet"], "Unknown dataset 'imagenet': use digits, mnist"),
    (["classifier", "--dataset", "csv:/no/such.csv"], "no such CSV file '/no/such.csv'"),
    (["classifier", "--verbose", "3"], "argument --verbose: invalid choice: '3'"),
])
def test_main_refuses_bad_requests_before_running_anything(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        runner.main([*argv, "--quick", "--out", str(tmp_path / "out")])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "usage: python -m demos" in error and message in error
    assert not (tmp_path / "out").exists()


def test_list_prints_every_available_demo(capsys):
    assert runner.main(["--list"]) == 0
    printed = capsys.readouterr().out
    for name in runner.available_demos():
        assert re.search(rf"^{name} +\S", printed, re.MULTILINE), name


def test_run_demos_refuses_unknown_names_and_datasets(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown demo\(s\) \['no_such_demo'\]"):
        runner.run_demos(["no_such_demo"], out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="Unknown dataset 'imagenet'"):
        runner.run_demos(["classifier"], quick=True, dataset="imagenet", out=tmp_path,
                         progress=False)
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------------- training progress
def test_progress_mode_is_a_status_line_on_a_terminal_and_quiet_otherwise():
    assert runner.resolve_verbose("auto", progress=True, terminal=True) == "status"
    assert runner.resolve_verbose("auto", progress=True, terminal=False) == 0
    assert runner.resolve_verbose("auto", progress=False, terminal=True) == 0
    assert runner.resolve_verbose(1, progress=True, terminal=False) == 1
    assert runner.resolve_verbose("status", progress=False, terminal=False) == "status"
    assert runner.parse_args([]).verbose == "auto"
    assert runner.parse_args(["--verbose", "2"]).verbose == 2


class FakeStatus:
    def __init__(self):
        self.shown = []

    def set_description_str(self, text):
        self.shown.append(text)


def test_epoch_lines_become_the_status_and_other_lines_pass_through():
    status, stdout = FakeStatus(), io.StringIO()
    stream = runner.EpochStatus(status, "demo", stdout)
    pieces = ["Epoch 1/2\n", "3/3 - 0s - 2ms/step - loss: 1.0", "000\n", "Epoch 2/2\nsumm",
              "ary\n", "3/3 - 0s - 2ms/step - loss: 0.5000\n",  # then a one-epoch fit
              " 9/10 - 1s - 5ms/step - loss: 2.0000 - accuracy: 0.5000\n"]
    for piece in pieces:
        assert stream.write(piece) == len(piece)
    assert status.shown == [
        "  demo · run 1 · Epoch 1/2",
        "  demo · run 1 · Epoch 1/2 · loss: 1.0000",
        "  demo · run 1 · Epoch 2/2",
        "  demo · run 1 · Epoch 2/2 · loss: 0.5000",
        "  demo · run 2 · loss: 2.0000 - accuracy: 0.5000"]
    assert stdout.getvalue() == "summary\n"


def test_status_mode_shows_each_epoch_of_each_fit_under_the_demo_bar(tmp_path, capsys):
    results = runner.run_demos(["classifier"], quick=True, out=tmp_path, verbose="status")
    captured = capsys.readouterr()
    assert "Epoch" not in captured.out  # routed into the status line, not printed
    shown = re.findall(r"classifier · run (\d+) · Epoch (\d+)/(\d+) · accuracy: [\d.]+ - "
                       r"loss: [\d.]+ - val_accuracy: ", captured.err)
    epochs = results["classifier"].numbers["epochs"]
    assert shown == [("1", str(e), str(epochs)) for e in range(1, epochs + 1)]
    assert "demos: 100%" in captured.err
