"""nn.viz: the autoencoder figures draw what they claim, and bad arguments fail clearly."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import numpynet as nn  # noqa: E402
from numpynet import viz  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _drawn(fig, index=0):
    """The array of the ``index``-th image drawn in the figure's first panel."""
    return np.ma.filled(fig.axes[0].images[index].get_array().astype(float), np.nan)


# ---------------------------------------------------------------------------- weight_tiles
def test_weight_tiles_draws_each_encoder_column_as_a_normalised_image(rng):
    kernel = rng.normal(size=(12, 5)).astype(np.float32)  # 3×4 images, 5 units
    fig = viz.weight_tiles(kernel, (3, 4), columns=3)
    assert isinstance(fig, Figure) and _png(fig).startswith(b"\x89PNG")
    mosaic = _drawn(fig)
    assert mosaic.shape == (2 * 4 - 1, 3 * 5 - 1)  # 2 rows × 3 columns of 3×4 tiles + gutters
    for unit in range(5):
        r, c = divmod(unit, 3)
        tile = kernel[:, unit].reshape(3, 4)
        expected = (tile - tile.min()) / (tile.max() - tile.min())
        np.testing.assert_allclose(mosaic[r * 4:r * 4 + 3, c * 5:c * 5 + 4], expected,
                                   rtol=1e-6)
    assert np.isnan(mosaic[3]).all()  # the gutter between the two rows is blank
    assert np.isnan(mosaic[4:, 10:]).all()  # the unused sixth slot is blank


def test_weight_tiles_uses_decoder_rows_and_accepts_a_variable(rng):
    layer = nn.layers.Dense(12, name="decoder")
    layer(np.zeros((1, 4), np.float32))  # kernel (4 units, 12 pixels)
    fig = viz.weight_tiles(layer.kernel, (3, 4), n=2, title="decoder")
    mosaic = _drawn(fig)
    assert mosaic.shape == (3, 9)
    row = layer.kernel.data[1].reshape(3, 4)
    np.testing.assert_allclose(mosaic[:, 5:], (row - row.min()) / (row.max() - row.min()),
                               rtol=1e-6)
    assert fig.axes[0].get_title() == "decoder"


def test_weight_tiles_draws_into_a_given_axes(rng):
    fig, (left, right) = plt.subplots(1, 2)
    assert viz.weight_tiles(rng.normal(size=(4, 2)), (2, 2), ax=right) is fig
    assert len(right.images) == 1 and len(left.images) == 0


def test_weight_tiles_errors(rng):
    with pytest.raises(ValueError, match="kernel must be a 2-D array, got shape"):
        viz.weight_tiles(np.zeros(64), (8, 8))
    with pytest.raises(ValueError, match=r"shape \(10, 5\) has no axis of size 64"):
        viz.weight_tiles(np.zeros((10, 5)), (8, 8))
    with pytest.raises(ValueError, match="both axes .* pass axis=0 .* or axis=1"):
        viz.weight_tiles(np.zeros((64, 64)), (8, 8))
    with pytest.raises(ValueError, match="axis=1 must be 0 or 1 and name the kernel axis"):
        viz.weight_tiles(np.zeros((64, 5)), (8, 8), axis=1)
    with pytest.raises(ValueError, match="n and columns must be positive"):
        viz.weight_tiles(np.zeros((64, 5)), (8, 8), n=0)
    with pytest.raises(ValueError, match="image_shape must hold a positive height and width"):
        viz.weight_tiles(np.zeros((64, 5)), (64,))
    with pytest.raises(TypeError, match="kernel must hold numbers"):
        viz.weight_tiles(np.array([["a"]]), (1, 1))


# ---------------------------------------------------------------------------- code_heatmap
def test_code_heatmap_sorts_rows_by_class_and_names_the_classes():
    labels = np.array([2, 0, 1, 0, 2, 1])
    codes = np.stack([labels * 10.0 + np.arange(6), np.arange(6.0)], axis=1)  # (6 images, 2)
    fig = viz.code_heatmap(codes, labels, class_names=["zero", "one", "two"], title="codes")
    drawn = _drawn(fig)
    np.testing.assert_array_equal(drawn[:, 0], [1, 3, 12, 15, 20, 24])  # classes 0,0,1,1,2,2
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["zero", "one", "two"]
    np.testing.assert_allclose(ax.get_yticks(), [0.5, 2.5, 4.5])  # centre of each class band
    assert len(fig.axes) == 2  # the heatmap and its colorbar


def test_code_heatmap_errors():
    with pytest.raises(ValueError, match="got 3 code rows but 2 labels"):
        viz.code_heatmap(np.zeros((3, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match="codes must be a 2-D array"):
        viz.code_heatmap(np.zeros(3), np.array([0, 1, 2]))


# ---------------------------------------------------------------------------- code_histogram
def test_code_histogram_counts_every_activation_and_reports_the_near_zero_share():
    codes = np.array([[0.0, 0.0, 0.0, 2.0], [0.5, 0.0, 1.0, 3.0]])  # 4 of 8 below 1e-3
    fig = viz.code_histogram(codes, bins=4, threshold=1e-3)
    ax = fig.axes[0]
    assert sum(patch.get_height() for patch in ax.patches) == 8
    assert any(text.get_text() == "50% below 0.001" for text in ax.texts)


def test_code_histogram_rejects_empty_codes():
    with pytest.raises(ValueError, match="codes is empty"):
        viz.code_histogram(np.zeros((0, 3)))


# ---------------------------------------------------------------------------- reconstructions
def test_reconstructions_draws_one_row_per_array(rng):
    originals = rng.random((5, 6))
    rows = {"noisy": rng.random((5, 6)), "denoised": rng.random((5, 6))}
    fig = viz.reconstructions(originals, rows, (2, 3), n=3, original_label="clean")
    mosaic = _drawn(fig)
    assert mosaic.shape == (3 * 3 - 1, 3 * 4 - 1)  # 3 rows of 3 images (2×3) with gutters
    np.testing.assert_allclose(mosaic[0:2, 4:7], originals[1].reshape(2, 3))
    np.testing.assert_allclose(mosaic[6:8, 8:11], rows["denoised"][2].reshape(2, 3))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["clean", "noisy", "denoised"]


def test_reconstructions_accepts_one_array_and_caps_n(rng):
    fig = viz.reconstructions(rng.random((2, 4)), rng.random((2, 4)), (2, 2), n=10)
    assert _drawn(fig).shape == (5, 5)  # n is capped at the 2 images available
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["original",
                                                                     "reconstruction"]


def test_reconstructions_errors(rng):
    with pytest.raises(ValueError, match=r"row 'reconstruction' has shape \(3, 4\); every row "
                                         r"must have the originals' shape \(2, 4\)"):
        viz.reconstructions(np.zeros((2, 4)), np.zeros((3, 4)), (2, 2))
    with pytest.raises(ValueError, match="with 9 pixels per image"):
        viz.reconstructions(np.zeros((2, 4)), np.zeros((2, 4)), (3, 3))
    with pytest.raises(ValueError, match="n must be positive"):
        viz.reconstructions(np.zeros((2, 4)), np.zeros((2, 4)), (2, 2), n=0)


# ---------------------------------------------------------------------------- latent_vector
def test_latent_vector_bars_are_the_code():
    code = np.array([0.0, 1.5, 0.25])
    fig = viz.latent_vector(code, title="code")
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    np.testing.assert_allclose(heights, code)


def test_latent_vector_with_its_image():
    fig = viz.latent_vector(np.ones(4), image=np.arange(6) / 6.0, image_shape=(2, 3))
    image_ax, bars_ax = fig.axes
    np.testing.assert_allclose(image_ax.images[0].get_array(), np.arange(6).reshape(2, 3) / 6)
    assert len(bars_ax.patches) == 4


def test_latent_vector_errors():
    with pytest.raises(ValueError, match="code must be a 1-D array"):
        viz.latent_vector(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="image needs image_shape"):
        viz.latent_vector(np.zeros(3), image=np.zeros(4))
    with pytest.raises(ValueError, match=r"image has 4 values but image_shape \(3, 3\) needs 9"):
        viz.latent_vector(np.zeros(3), image=np.zeros(4), image_shape=(3, 3))
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="pass either image .* or ax"):
        viz.latent_vector(np.zeros(3), image=np.zeros(4), image_shape=(2, 2), ax=ax)


def test_viz_is_reachable_from_the_package():
    assert nn.viz.weight_tiles is viz.weight_tiles
