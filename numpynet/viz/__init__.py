"""Figures that look inside models (``nn.viz``), drawn with matplotlib.

matplotlib is imported inside each function, so ``import numpynet.viz`` stays light and works
without it until a figure is asked for. Every function returns a ``matplotlib.figure.Figure``
(save it with ``fig.savefig(path)`` or let a notebook display it); most also accept ``ax=`` to
draw into an existing panel, as matplotlib's own plotting functions do.

``autoencoders.py``: weights as image tiles, code heatmaps and histograms, reconstruction grids,
the latent vector of one image.
"""

from numpynet.viz.autoencoders import (
    code_heatmap, code_histogram, latent_vector, reconstructions, weight_tiles,
)

# distributions.py: per-layer weights, activations and gradients (the initialization unit).
from numpynet.viz.distributions import (
    activation_std_by_depth, layer_distributions, layer_outputs,
)
from numpynet.viz.distribution_plots import (
    plot_activation_std_by_depth, plot_layer_distributions,
)

# training.py: activations and derivatives, gradient norms, weight histograms, layer statistics,
# learning-rate curves (the vanishing-gradient unit and the callbacks LAB).
from numpynet.viz.training import (
    activation_derivatives, kernels, plot_activation_functions, plot_gradient_norm_by_depth,
    plot_gradient_norms, plot_layer_stats, plot_learning_rate, plot_weight_histograms,
)
