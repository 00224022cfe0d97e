"""Dataset loaders and helpers: IDX and CSV files written here, Debian's real Fashion-MNIST,
the search order, checked downloads from local URLs, and the split/one-hot/pair helpers.

No test touches the network: an autouse fixture lets ``download.urlopen`` open only
``file://`` URLs, and points ``HOME`` and ``NUMPYNET_DATA`` at empty temporary directories.
"""

import dataclasses
import gzip
import hashlib
import io
import os
import struct
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest

import numpynet as nn
from numpynet import config
from numpynet.datasets import DatasetError, download, mnist, read_idx

DEBIAN_FASHION = "/usr/share/datasets/fashion-mnist"
IMAGES, LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
KERAS_MIRROR = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No network, an empty home and no NUMPYNET_DATA; returns the list of URLs opened."""
    opened = []

    def local_only(url, timeout=None):
        opened.append(url)
        if url.startswith("file:"):
            return urllib.request.urlopen(url, timeout=timeout)
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(download, "urlopen", local_only)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("NUMPYNET_DATA", raising=False)
    return opened


# ---------------------------------------------------------------------------- file writers
def idx_bytes(array, magic=None):
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x800 + array.ndim if magic is None else magic
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes()


def write(path, data, gz=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_idx_set(directory, n_train=6, n_test=4, gz=True, seed=0):
    """Writes the four IDX files of a tiny dataset; returns its uint8 arrays."""
    r = np.random.default_rng(seed)
    arrays = {IMAGES: r.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              LABELS: r.integers(0, 10, n_train, dtype=np.uint8),
              TEST_IMAGES: r.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              TEST_LABELS: r.integers(0, 10, n_test, dtype=np.uint8)}
    for name, array in arrays.items():
        write(directory / (name + (".gz" if gz else "")), idx_bytes(array), gz=gz)
    return arrays


# ---------------------------------------------------------------------------- read_idx
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip_plain_and_gzipped(tmp_path, gz):
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4) % 256
    path = write(tmp_path / "images.idx", idx_bytes(images), gz=gz)
    out = read_idx(path, ndim=3)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, images)
    assert out.flags.writeable
    np.testing.assert_array_equal(read_idx(write(tmp_path / "l", idx_bytes([3, 1]))), [3, 1])


@pytest.mark.parametrize("gz, match", [
    (False, r"is truncated: 1583 bytes, expected 1584 bytes"),
    (True, r"is truncated once decompressed: 1583 bytes, expected 1584 bytes"),
])
def test_truncated_idx_names_the_file_and_the_expected_length(tmp_path, gz, match):
    data = idx_bytes(np.zeros((2, 28, 28)))[:-1]  # a 16-byte header + 1568 values, less one
    path = write(tmp_path / "short-idx3-ubyte", data, gz=gz)
    with pytest.raises(DatasetError, match=r"IDX file '.*short-idx3-ubyte' " + match +
                       r" \(16-byte header \+ 1568 values of shape \(2, 28, 28\)\)\."):
        read_idx(path, ndim=3)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_with_trailing_bytes_is_longer_than_its_header(tmp_path, gz):
    path = write(tmp_path / "long", idx_bytes([1, 2, 3]) + b"\x00", gz=gz)
    with pytest.raises(DatasetError, match=r"'.*long' is longer than its header says.*"
                                           r"expected 11 bytes"):
        read_idx(path)


def test_idx_truncated_inside_the_header(tmp_path):
    with pytest.raises(DatasetError, match=r"ends inside the header, before the 4-byte magic "
                                           r"number \(got 2 of 4 bytes\)"):
        read_idx(write(tmp_path / "tiny", b"\x00\x00"))
    with pytest.raises(DatasetError, match=r"before 3 dimension sizes \(got 5 of 12"):
        read_idx(write(tmp_path / "tiny", b"\x00\x00\x08\x03" + b"\x00" * 5))


def test_wrong_magic_number_says_what_was_expected(tmp_path):
    path = write(tmp_path / "not-idx", b"\x12\x34\x56\x78" + b"\x00" * 12)
    with pytest.raises(DatasetError, match=r"'.*not-idx' has magic number 0x12345678; expected "
                                           r"0x00000803 \(images: unsigned bytes, 3 dim"):
        read_idx(path, ndim=3)
    floats = write(tmp_path / "floats", struct.pack(">II", 0x0D01, 1) + b"\x00" * 4)
    with pytest.raises(DatasetError, match=r"magic number 0x00000d01; expected 0x000008NN"):
        read_idx(floats)


def test_wrong_number_of_dimensions_names_the_expected_magic(tmp_path):
    labels = write(tmp_path / "labels", idx_bytes([1, 2, 3]))
    with pytest.raises(DatasetError, match=r"0x00000801 \(1 dimension\); expected 0x00000803 "
                                           r"\(images: unsigned bytes, 3 dimensions\)"):
        read_idx(labels, ndim=3)
    images = write(tmp_path / "images", idx_bytes(np.zeros((1, 2, 2))))
    with pytest.raises(DatasetError, match=r"expected 0x00000801 \(labels: unsigned bytes, 1 "
                                           r"dimension\)"):
        read_idx(images, ndim=1)


def test_corrupt_gzip_is_a_dataset_error(tmp_path):
    path = write(tmp_path / "bad.gz", b"\x1f\x8b" + b"\xff" * 30)
    with pytest.raises(DatasetError, match=r"'.*bad.gz' is not a valid gzip stream"):
        read_idx(path)
    assert issubclass(DatasetError, ValueError)


def test_missing_idx_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nothing")


# ---------------------------------------------------------------------------- load_mnist
def test_load_mnist_from_a_path_scales_to_floatx_and_int64(tmp_path):
    arrays = write_idx_set(tmp_path / "d", gz=True)
    (x_train, y_train), (x_test, y_test) = nn.datasets.load_mnist(path=tmp_path / "d")
    assert x_train.shape == (6, 28, 28) and x_test.shape == (4, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    np.testing.assert_array_equal(x_train, arrays[IMAGES].astype("float32") / 255)  # Keras idiom
    np.testing.assert_array_equal(y_test, arrays[TEST_LABELS])
    assert 0.0 <= x_test.min() and x_test.max() <= 1.0


def test_raw_gives_keras_uint8_arrays_and_plain_files_work(tmp_path):
    arrays = write_idx_set(tmp_path, gz=False)
    (x_train, y_train), _ = nn.datasets.load_fashion_mnist(path=tmp_path, raw=True)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, arrays[IMAGES])


def test_image_and_label_counts_must_agree(tmp_path):
    write_idx_set(tmp_path, n_train=6)
    write(tmp_path / (LABELS + ".gz"), idx_bytes(np.zeros(5)), gz=True)
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte.gz' holds 6 images but "
                                           r"'.*train-labels-idx1-ubyte.gz' holds 5 labels"):
        nn.datasets.load_mnist(path=tmp_path)


def test_swapped_image_and_label_files_fail_on_the_magic_number(tmp_path):
    write_idx_set(tmp_path)
    write(tmp_path / (LABELS + ".gz"), idx_bytes(np.zeros((6, 28, 28))), gz=True)
    with pytest.raises(DatasetError, match=r"train-labels-idx1-ubyte.gz' has magic number "
                                           r"0x00000803 \(3 dimensions\); expected 0x00000801"):
        nn.datasets.load_mnist(path=tmp_path)


def test_keras_mnist_npz_is_read_and_checked(tmp_path):
    r = np.random.default_rng(1)
    x, y = r.integers(0, 256, (3, 28, 28), dtype=np.uint8), np.array([1, 2, 3], np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=x[:2], y_test=y[:2])
    (x_train, y_train), (x_test, _) = nn.datasets.load_mnist(path=tmp_path)
    np.testing.assert_array_equal(x_train, x / np.float32(255))
    assert x_test.shape == (2, 28, 28) and y_train.dtype == np.int64
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y[:2], x_test=x, y_test=y)
    with pytest.raises(DatasetError, match=r"mnist.npz': expected uint8 x_train of shape"):
        nn.datasets.load_mnist(path=tmp_path)
    (tmp_path / "mnist.npz").write_bytes(b"not a zip file")
    with pytest.raises(DatasetError, match=r"mnist.npz' is not a readable MNIST .npz file"):
        nn.datasets.load_mnist(path=tmp_path)


def report_files(monkeypatch):
    """Makes the loaders return the files they found instead of reading them (raw=True)."""
    monkeypatch.setattr(mnist, "_read", lambda files: ((files, None), (None, None)))


# ---------------------------------------------------------------------------- Debian's data
@pytest.fixture(scope="module")
def debian_fashion():
    return nn.datasets.load_fashion_mnist(path=DEBIAN_FASHION)


def test_debian_fashion_mnist_has_the_real_shapes_and_balance(debian_fashion):
    (x_train, y_train), (x_test, y_test) = debian_fashion
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert 0.2 < x_train.mean() < 0.4  # about 0.286: real clothing, not noise or zeros


def test_default_search_finds_debian_fashion_mnist(monkeypatch):
    report_files(monkeypatch)
    files = nn.datasets.load_fashion_mnist(raw=True)[0][0]
    assert files["x_train"] == os.path.join(DEBIAN_FASHION, IMAGES + ".gz")
    assert files["y_test"] == os.path.join(DEBIAN_FASHION, TEST_LABELS + ".gz")


# ---------------------------------------------------------------------------- search order
def test_search_order(monkeypatch, tmp_path):
    report_files(monkeypatch)
    found = lambda **kw: os.path.dirname(  # noqa: E731
        nn.datasets.load_fashion_mnist(raw=True, **kw)[0][0]["x_train"])
    keras_dir = tmp_path / "home" / ".keras" / "datasets" / "fashion-mnist"
    write_idx_set(keras_dir)
    assert found() == str(keras_dir)  # before Debian's copy
    data = tmp_path / "data"
    write_idx_set(data)
    monkeypatch.setenv("NUMPYNET_DATA", str(data))
    assert found() == str(data)
    write_idx_set(data / "fashion-mnist", gz=False)
    assert found() == str(data / "fashion-mnist")  # the dataset's own sub-directory first
    write_idx_set(tmp_path / "mine")
    assert found(path=tmp_path / "mine") == str(tmp_path / "mine")  # the only place read


def test_dataset_dirs_lists_every_place_in_order(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMPYNET_DATA", "/data")
    home = str(tmp_path / "home")
    assert mnist.dataset_dirs(mnist.SOURCES["fashion-mnist"]) == [
        "/data/fashion-mnist", "/data", f"{home}/.keras/datasets/fashion-mnist", DEBIAN_FASHION]
    monkeypatch.delenv("NUMPYNET_DATA")
    assert mnist.dataset_dirs(mnist.SOURCES["mnist"]) == [
        f"{home}/.keras/datasets/mnist", f"{home}/.keras/datasets",
        f"{home}/.numpynet/datasets/mnist"]


def test_keras_cached_mnist_npz_is_found(monkeypatch, tmp_path):
    report_files(monkeypatch)
    keras_root = tmp_path / "home" / ".keras" / "datasets"
    keras_root.mkdir(parents=True)
    np.savez(keras_root / "mnist.npz", x_train=np.zeros((1, 28, 28), np.uint8))
    assert nn.datasets.load_mnist(raw=True)[0][0] == {"npz": str(keras_root / "mnist.npz")}


def test_not_found_lists_directories_and_files(monkeypatch, offline):
    with pytest.raises(FileNotFoundError) as info:
        nn.datasets.load_mnist()
    message = str(info.value)
    assert message.startswith("MNIST not found. Searched, in order: ")
    assert ".keras/datasets/mnist, " in message and ".numpynet/datasets/mnist." in message
    assert "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, " in message
    assert "(or Keras' mnist.npz)" in message and "set NUMPYNET_DATA" in message
    assert "Not downloaded: downloading failed (https://storage.googleapis.com/tensorflow/" \
           "tf-keras-datasets/mnist.npz: <urlopen error network disabled in tests>)" in message
    assert offline == [KERAS_MIRROR + "mnist.npz"]


def test_not_found_without_download_or_with_a_path(monkeypatch, tmp_path, offline):
    monkeypatch.setitem(mnist.SOURCES, "fashion-mnist", dataclasses.replace(
        mnist.SOURCES["fashion-mnist"], system_dirs=()))
    with pytest.raises(FileNotFoundError, match=r"Fashion-MNIST not found.*apt-get install "
                                                r"dataset-fashion-mnist.*Not downloaded: "
                                                r"download=False\."):
        nn.datasets.load_fashion_mnist(download=False)
    with pytest.raises(FileNotFoundError, match=r"Searched, in order: .*nowhere\. .*a path was "
                                                r"given, so nothing was downloaded"):
        nn.datasets.load_fashion_mnist(path=tmp_path / "nowhere")
    assert offline == []


# ---------------------------------------------------------------------------- downloads
def sha256(data):
    return hashlib.sha256(data).hexdigest()


def test_fetch_keeps_a_file_whose_digest_matches(tmp_path):
    source = write(tmp_path / "src" / "f.bin", b"payload")
    target = tmp_path / "cache" / "sub" / "f.bin"
    assert download.fetch(source.as_uri(), target, sha256(b"payload").upper()) == target
    assert target.read_bytes() == b"payload"
    assert os.listdir(target.parent) == ["f.bin"]  # no temporary file left behind


def test_fetch_with_a_wrong_digest_keeps_nothing(tmp_path):
    source = write(tmp_path / "src" / "f.bin", b"payload")
    target = tmp_path / "cache" / "f.bin"
    with pytest.raises(DatasetError, match=r"Downloaded file:.*f.bin has SHA-256 "
                                           rf"{sha256(b'payload')}, expected {'0' * 64}; the "
                                           r"file was not kept"):
        download.fetch(source.as_uri(), target, "0" * 64)
    assert os.listdir(target.parent) == []


def test_fetch_network_failure_keeps_nothing(tmp_path):
    with pytest.raises(urllib.error.URLError, match="network disabled"):
        download.fetch("https://example.invalid/f", tmp_path / "f", "0" * 64)
    assert os.listdir(tmp_path) == []


def fashion_served_from(monkeypatch, directory, mirrors, arrays):
    """Points Fashion-MNIST's mirrors at local files whose digests are the expected ones."""
    files = {name + ".gz": sha256((directory / (name + ".gz")).read_bytes()) for name in arrays}
    monkeypatch.setitem(mnist.SOURCES, "fashion-mnist", dataclasses.replace(
        mnist.SOURCES["fashion-mnist"], system_dirs=(), mirrors=tuple(mirrors), files=files))


def test_download_into_the_cache_then_load_from_it(monkeypatch, tmp_path, offline):
    arrays = write_idx_set(tmp_path / "server")
    fashion_served_from(monkeypatch, tmp_path / "server",
                        ["https://unreachable.invalid/", (tmp_path / "server").as_uri() + "/"],
                        arrays)
    monkeypatch.setenv("NUMPYNET_DATA", str(tmp_path / "cache"))
    (x_train, _), (_, y_test) = nn.datasets.load_fashion_mnist()
    np.testing.assert_array_equal(x_train, arrays[IMAGES].astype("float32") / 255)
    np.testing.assert_array_equal(y_test, arrays[TEST_LABELS])
    assert sorted(os.listdir(tmp_path / "cache" / "fashion-mnist")) == sorted(
        name + ".gz" for name in arrays)
    assert len(offline) == 8  # each file: the unreachable mirror, then the local one
    nn.datasets.load_fashion_mnist()
    assert len(offline) == 8  # the second call reads the cache


def test_a_mirror_with_other_bytes_is_skipped_and_all_bad_is_an_error(monkeypatch, tmp_path):
    arrays = write_idx_set(tmp_path / "good")
    write_idx_set(tmp_path / "bad", seed=1)
    mirrors = [(tmp_path / d).as_uri() + "/" for d in ("bad", "good")]
    fashion_served_from(monkeypatch, tmp_path / "good", mirrors, arrays)
    (_, y_train), _ = nn.datasets.load_fashion_mnist()
    np.testing.assert_array_equal(y_train, arrays[LABELS])
    cache = tmp_path / "home" / ".numpynet" / "datasets" / "fashion-mnist"
    assert len(os.listdir(cache)) == 4
    for name in os.listdir(cache):
        os.remove(cache / name)
    fashion_served_from(monkeypatch, tmp_path / "good", mirrors[:1], arrays)
    with pytest.raises(DatasetError, match=r"No mirror of Fashion-MNIST gave "
                                           r"train-images-idx3-ubyte.gz with the expected "
                                           r"SHA-256\. Downloaded file:.*not kept"):
        nn.datasets.load_fashion_mnist()
    assert os.listdir(cache) == []


def test_real_mirrors_and_digests_are_checked(monkeypatch, tmp_path):
    served = write_idx_set(tmp_path / "fake")
    urls = []

    def fake_opener(url, timeout=None):  # serves small files, not Zalando's: digests differ
        urls.append(url)
        return io.BytesIO((tmp_path / "fake" / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(download, "urlopen", fake_opener)
    monkeypatch.setitem(mnist.SOURCES, "fashion-mnist", dataclasses.replace(
        mnist.SOURCES["fashion-mnist"], system_dirs=()))
    with pytest.raises(DatasetError, match=r"expected 3aede38d61863908ad78613f6a32ed271626dd12"):
        nn.datasets.load_fashion_mnist()
    assert urls == [KERAS_MIRROR + IMAGES + ".gz", "https://raw.githubusercontent.com/"
                    "zalandoresearch/fashion-mnist/master/data/fashion/" + IMAGES + ".gz"]
    assert served and not any((tmp_path / "home" / ".numpynet").rglob("*.gz"))


def test_mnist_npz_download_is_checked_and_loaded(monkeypatch, tmp_path):
    buffer = io.BytesIO()
    x = np.full((2, 28, 28), 255, np.uint8)
    np.savez(buffer, x_train=x, y_train=np.array([4, 5], np.uint8), x_test=x[:1],
             y_test=np.array([6], np.uint8))
    payload = buffer.getvalue()
    monkeypatch.setattr(download, "urlopen", lambda url, timeout=None: io.BytesIO(payload))
    monkeypatch.setitem(mnist.SOURCES, "mnist", dataclasses.replace(
        mnist.SOURCES["mnist"], files={"mnist.npz": sha256(payload)}))
    (x_train, y_train), (_, y_test) = nn.datasets.load_mnist()
    assert x_train.max() == 1.0 and y_train.tolist() == [4, 5] and y_test.tolist() == [6]
    assert (tmp_path / "home" / ".numpynet" / "datasets" / "mnist" / "mnist.npz").is_file()


# ---------------------------------------------------------------------------- CSV
def csv_text(rows):
    return "".join(",".join(str(v) for v in row) + "\n" for row in rows)


def csv_rows(n=3):
    pixels = (np.arange(n * 784).reshape(n, 784) * 7) % 256
    return [[i % 10, *pixels[i]] for i in range(n)], pixels


@pytest.mark.parametrize("gz", [False, True])
def test_csv_images_load_plain_and_gzipped(tmp_path, gz):
    rows, pixels = csv_rows()
    text = csv_text(rows[:2]) + "\r\n  \n" + csv_text(rows[2:])  # a blank line is skipped
    path = write(tmp_path / "train.csv", text.encode(), gz=gz)
    x, y = nn.datasets.load_csv_images(path)
    assert x.shape == (3, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x.reshape(3, -1), pixels.astype("float32") / 255)
    np.testing.assert_array_equal(y, [0, 1, 2])


def csv_error(tmp_path, text, match):
    path = write(tmp_path / "bad.csv", text.encode() if isinstance(text, str) else text)
    with pytest.raises(DatasetError, match=r"CSV file '.*bad.csv'" + match):
        nn.datasets.load_csv_images(path)


def test_csv_wrong_column_count_names_the_line(tmp_path):
    rows, _ = csv_rows()
    rows[2] = rows[2][:-1]
    csv_error(tmp_path, csv_text(rows), r", line 3: 784 columns; expected 785 comma-separated "
                                        r"numbers \(the label, then 784 pixels\), no header")


def test_csv_header_and_non_numeric_cells_name_line_and_column(tmp_path):
    rows, _ = csv_rows(2)
    header = ",".join(["label"] + [f"pixel{i}" for i in range(784)]) + "\n"
    csv_error(tmp_path, header + csv_text(rows), r", line 1, column 1: 'label' is not a number")
    rows[1][4] = "abc"
    csv_error(tmp_path, csv_text(rows), r", line 2, column 5: 'abc' is not a number")
    rows[1][4] = ""
    csv_error(tmp_path, csv_text(rows), r", line 2, column 5: '' is not a number")


@pytest.mark.parametrize("value, shown", [(256, "256"), (-1, "-1"), ("nan", "nan")])
def test_csv_pixel_out_of_range_names_line_and_column(tmp_path, value, shown):
    rows, _ = csv_rows()
    rows[1][10] = value
    csv_error(tmp_path, csv_text(rows), rf", line 2, column 11: pixel value {shown}; expected a "
                                        r"value in 0-255")


@pytest.mark.parametrize("label", ["1.5", "-2", "inf"])
def test_csv_label_must_be_a_non_negative_integer(tmp_path, label):
    rows, _ = csv_rows()
    rows[2][0] = label
    csv_error(tmp_path, csv_text(rows), r", line 3: the label \(column 1\) is .*; expected a "
                                        r"non-negative integer")


def test_csv_empty_binary_and_corrupt_gzip_files(tmp_path):
    csv_error(tmp_path, "\n \n", r" holds no rows")
    csv_error(tmp_path, b"1,2\n3,\xff\n", r", line 2: byte 0xff is not text")
    csv_error(tmp_path, b"\x1f\x8b\x08" + b"\x00" * 20, r" is not a valid gzip stream")


# ---------------------------------------------------------------------------- helpers
def test_train_test_split_partitions_and_repeats_with_a_seed():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    x_train, x_test, y_train, y_test = nn.datasets.train_test_split(x, y, seed=3)
    assert len(x_test) == 3 and len(x_train) == 7  # ceil(0.25 * 10), as scikit-learn
    np.testing.assert_array_equal(x_train[:, 0] // 2, y_train)  # rows stay aligned
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(10))
    again = nn.datasets.train_test_split(x, y, seed=3)
    np.testing.assert_array_equal(again[3], y_test)
    others = [nn.datasets.train_test_split(x, y, seed=s)[3].tolist() for s in range(4, 9)]
    assert any(o != y_test.tolist() for o in others)


def test_train_test_split_uses_numpynets_generator_without_a_seed():
    x = np.arange(50)
    nn.set_random_seed(7)
    first = nn.datasets.train_test_split(x, x, test_size=10)[1]
    nn.set_random_seed(7)
    np.testing.assert_array_equal(nn.datasets.train_test_split(x, x, test_size=10)[1], first)
    assert len(first) == 10 and not np.array_equal(first, np.arange(10))


def test_train_test_split_lists_of_arrays():
    a, b, y = np.arange(8), np.arange(8) * 10, np.arange(8) % 2
    x_train, x_test, y_train, y_test = nn.datasets.train_test_split([a, b], y, 0.5, seed=0)
    assert isinstance(x_train, list) and len(x_train) == 2 and len(x_test[1]) == 4
    np.testing.assert_array_equal(x_train[1], x_train[0] * 10)
    np.testing.assert_array_equal(y_train, x_train[0] % 2)


@pytest.mark.parametrize("n_y, test_size, match", [
    (4, 0.25, r"x has 5 samples but y has an array with 4; expected the same number"),
    (5, 0.0, r"test_size must be a fraction in \(0, 1\) or a number of samples, got 0.0"),
    (5, True, r"test_size must be a fraction .*, got True"),
    (5, 5, r"test_size=5 gives 5 test samples out of 5; expected at least one sample in each"),
])
def test_train_test_split_errors(n_y, test_size, match):
    with pytest.raises(ValueError, match="train_test_split: " + match):
        nn.datasets.train_test_split(np.arange(5), np.arange(n_y), test_size)
    with pytest.raises(ValueError, match=r"test_size=0.5 gives 1 test samples out of 1"):
        nn.datasets.train_test_split(np.arange(1), np.arange(1), 0.5)


def test_one_hot_values_dtype_and_keras_squeeze():
    out = nn.datasets.one_hot([2, 0, 1])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert nn.datasets.one_hot(np.array([[1], [3]]), num_classes=5).shape == (2, 5)
    assert nn.datasets.one_hot(np.array([1.0, 0.0])).tolist() == [[0, 1], [1, 0]]
    previous = config.floatx()
    config.set_floatx("float64")
    try:
        assert nn.datasets.one_hot([0, 1]).dtype == np.float64
    finally:
        config.set_floatx(previous)


@pytest.mark.parametrize("labels, num_classes, match", [
    ([0, 3], 3, r"labels must be in \[0, 3\) for num_classes=3, got values from 0 to 3"),
    ([-1, 1], None, r"labels must be in \[0, 2\).*from -1 to 1"),
    ([0.5, 1.0], None, r"one_hot expects integer class labels, got dtype float64 with values "
                       r"like \[0.5, 1.0\]"),
    (["a"], None, r"got dtype <U1"),
    ([], None, r"num_classes is needed when there are no labels"),
])
def test_one_hot_errors(labels, num_classes, match):
    with pytest.raises(ValueError, match=match):
        nn.datasets.one_hot(labels, num_classes)


def pairs_data():
    y = np.repeat(np.arange(4), [3, 5, 2, 6])
    x = np.stack([y, np.arange(len(y))], axis=1)  # each row: its class and its index
    return x, y


def test_make_pairs_is_balanced_per_class_and_flags_match():
    x, y = pairs_data()
    x0, x1, same, class0, class1 = nn.datasets.make_pairs(x, y, pairs_per_class=25, seed=0)
    assert len(x0) == len(x1) == len(same) == 4 * 2 * 25
    assert same.dtype == np.float32 and class0.dtype == np.int64 and class1.dtype == np.int64
    np.testing.assert_array_equal(same, (class0 == class1).astype(np.float32))
    np.testing.assert_array_equal(x0[:, 0], class0)  # every image is a sample of its class
    np.testing.assert_array_equal(x1[:, 0], class1)
    for c in range(4):
        mine = class0 == c
        assert mine.sum() == 50 and same[mine].sum() == 25  # 25 same, 25 different
    assert not np.any((same == 1) & (x0[:, 1] == x1[:, 1]))  # never an image with itself
    assert set(class1[(same == 0) & (class0 == 0)]) == {1, 2, 3}
    assert 0.3 < same[:100].mean() < 0.7  # shuffled, not 25 ones then 25 zeros


def test_make_pairs_repeats_with_a_seed_or_numpynets_generator():
    x, y = pairs_data()
    a = nn.datasets.make_pairs(x, y, 10, seed=5)
    b = nn.datasets.make_pairs(x, y, 10, seed=5)
    c = nn.datasets.make_pairs(x, y, 10, seed=6)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    nn.set_random_seed(1)
    d = nn.datasets.make_pairs(x, y, 10)
    nn.set_random_seed(1)
    assert np.array_equal(nn.datasets.make_pairs(x, y, 10)[1], d[1])


@pytest.mark.parametrize("y, k, match", [
    (np.zeros(4, int), 2, r"make_pairs needs at least two classes, got \[0\]"),
    (np.array([0, 0, 1, 2]), 2, r"class 1 has 1 sample; expected at least two"),
    (np.array([0, 1, 0]), 2, r"x has 4 samples but y has 3 labels"),
    (np.array([0, 1, 0, 1]), 0, r"pairs_per_class must be a positive integer, got 0"),
    (np.eye(4), 2, r"expects y as integer class labels of shape \(n,\), got dtype float64 and "
                   r"shape \(4, 4\)"),
])
def test_make_pairs_errors(y, k, match):
    with pytest.raises(ValueError, match=match):
        nn.datasets.make_pairs(np.zeros((4, 3)), y, k)


# ---------------------------------------------------------------------------- digits
def test_load_digits_shapes_and_range():
    x, y = nn.datasets.load_digits()
    assert x.shape == (1797, 8, 8) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))


def test_load_digits_without_scikit_learn_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"load_digits needs scikit-learn.*pip install "
                                          r"numpynet\[viz\]"):
        nn.datasets.load_digits()
