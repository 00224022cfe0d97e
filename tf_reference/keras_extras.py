"""Translating numpynet's building blocks (initializers, regularizers, optimizers, losses,
metrics, Lambda functions) to their Keras twins and back, by class name and config.

numpynet's two activity penalties that Keras lacks (``MeanActivity`` and ``KLSparsity``) get
Keras twins here, written with ``keras.ops`` to the same formulas.
"""

import inspect

from tf_reference._keras import keras


def _twin(obj, module, kind):
    cls = getattr(module, type(obj).__name__, None)
    if cls is None:
        raise ValueError(f"Keras has no {kind} class {type(obj).__name__!r}.")
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    config = {k: v for k, v in obj.get_config().items() if k in accepted}
    return cls(**config)


# ---------------------------------------------------------------------------- initializers
def keras_initializer(value):
    import numpynet as nn
    return _twin(nn.initializers.get(value), keras.initializers, "initializer")


def numpynet_initializer(spec):
    import numpynet as nn
    cls = getattr(nn.initializers, spec["class_name"], None)
    if cls is None:
        raise ValueError(f"numpynet has no initializer {spec['class_name']!r}.")
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    return cls(**{k: v for k, v in spec.get("config", {}).items() if k in accepted})


# ---------------------------------------------------------------------------- regularizers
@keras.saving.register_keras_serializable(package="numpynet")
class MeanActivity(keras.regularizers.Regularizer):
    """Keras twin of ``nn.regularizers.MeanActivity``: ``beta * mean(x)``."""

    def __init__(self, beta=1.0):
        self.beta = float(beta)

    def __call__(self, x):
        return self.beta * keras.ops.mean(x)

    def get_config(self):
        return {"beta": self.beta}


@keras.saving.register_keras_serializable(package="numpynet")
class KLSparsity(keras.regularizers.Regularizer):
    """Keras twin of ``nn.regularizers.KLSparsity``: ``beta * Σ_j KL(rho || mean_batch(x_j))``."""

    def __init__(self, rho=0.05, beta=1.0):
        self.rho, self.beta = float(rho), float(beta)

    def __call__(self, x):
        eps = keras.config.epsilon()
        axes = tuple(range(len(x.shape) - 1))
        rho_hat = keras.ops.clip(keras.ops.mean(x, axis=axes), eps, 1.0 - eps)
        rho = self.rho
        kl = rho * keras.ops.log(rho / rho_hat) + \
            (1.0 - rho) * keras.ops.log((1.0 - rho) / (1.0 - rho_hat))
        return self.beta * keras.ops.sum(kl)

    def get_config(self):
        return {"rho": self.rho, "beta": self.beta}


_EXTRA_REGULARIZERS = {"MeanActivity": MeanActivity, "KLSparsity": KLSparsity}


def keras_regularizer(value):
    import numpynet as nn
    regularizer = nn.regularizers.get(value)
    extra = _EXTRA_REGULARIZERS.get(type(regularizer).__name__)
    if extra is not None:
        return extra(**regularizer.get_config())
    twin = _twin(regularizer, keras.regularizers, "regularizer")
    if isinstance(twin, keras.regularizers.OrthogonalRegularizer):
        # Keras 3.15 stores `factor` as a float32 tensor, which fails on float64 weights.
        twin.factor = float(regularizer.get_config()["factor"])
    return twin


def numpynet_regularizer(spec):
    import numpynet as nn
    if isinstance(spec, keras.regularizers.Regularizer):
        spec = {"class_name": type(spec).__name__, "config": spec.get_config()}
    cls = getattr(nn.regularizers, spec["class_name"], None)
    if cls is None:
        raise ValueError(f"numpynet has no regularizer {spec['class_name']!r}.")
    return cls(**spec.get("config", {}))


# ---------------------------------------------------------------------------- Lambda functions
def keras_function(layer, custom_objects=None):
    """The Keras function for a numpynet Lambda: same-named ``keras.ops``/activation, or given."""
    custom_objects = custom_objects or {}
    function = layer.function
    name = getattr(function, "__name__", "")
    for key in (layer.name, name):
        if key in custom_objects:
            return custom_objects[key]
    module = getattr(function, "__module__", "") or ""
    if module.startswith("numpynet.") and name and hasattr(keras.ops, name):
        return getattr(keras.ops, name)
    if module.startswith("numpynet.activations") and hasattr(keras.activations, name):
        return getattr(keras.activations, name)
    raise ValueError(f"Lambda layer {layer.name!r} wraps {name or function!r}, which has no known "
                     f"Keras twin: use a numpynet.ops function, or pass "
                     f"custom_objects={{{layer.name!r}: keras_fn}}.")


def numpynet_function(keras_layer):
    import numpynet as nn
    function = getattr(keras_layer, "function", None)
    name = getattr(function, "__name__", "")
    if function is not None and hasattr(nn.ops, name) and \
            getattr(keras.ops, name, None) is function:
        return getattr(nn.ops, name)
    raise ValueError(f"Keras Lambda layer {keras_layer.name!r} wraps {name!r}, which has no "
                     "numpynet twin (only keras.ops functions translate).")


# ---------------------------------------------------------------------------- compile settings
def keras_optimizer(optimizer):
    cls = getattr(keras.optimizers, type(optimizer).__name__)
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    config = {k: v for k, v in optimizer.get_config().items() if k in accepted}
    schedule = getattr(optimizer, "_schedule", None) or _schedule_of(optimizer)
    if schedule is not None:
        config["learning_rate"] = _twin(schedule, keras.optimizers.schedules, "schedule")
    return cls(**config)


def _schedule_of(optimizer):
    for attribute in ("_learning_rate", "schedule", "learning_rate_schedule"):
        value = getattr(optimizer, attribute, None)
        if value is not None and callable(value) and hasattr(value, "get_config"):
            return value
    return None


def keras_loss(loss):
    if loss is None or isinstance(loss, str):
        return loss
    if inspect.isfunction(loss):
        return getattr(keras.losses, loss.__name__)
    return _twin(loss, keras.losses, "loss")


def keras_metric(metric):
    if isinstance(metric, str):
        return metric
    if inspect.isfunction(metric):
        return getattr(keras.metrics, metric.__name__)
    return _twin(metric, keras.metrics, "metric")
