"""Keras builders of every demo model, one section per demo (same names as the demo builders).

Each builder returns a compiled ``keras.Model`` with the same layer names, shapes and compile
settings as the numpynet builder of the same name in ``demos/<demo>.py``; copy weights across
with ``set_weights`` to compare the two. Importing this module imports TensorFlow.
"""

from tf_reference._keras import keras


# ============================================================================ classifier
# Keras twin of demos/classifier.py (also the model of demos/scale_out.py).
def _compile_classifier(model):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_classifier(pixels, num_classes):
    """Keras twin of ``demos.classifier.build_model``, compiled as the demo compiles it.

    ``Dense(64, relu, "hidden_1") → Dense(32, relu, "hidden_2") → Dense(classes, softmax,
    "classes")``; Adam, sparse categorical cross-entropy, accuracy.
    """
    model = keras.Sequential([
        keras.Input((pixels,), name="image"),
        keras.layers.Dense(64, activation="relu", name="hidden_1"),
        keras.layers.Dense(32, activation="relu", name="hidden_2"),
        keras.layers.Dense(num_classes, activation="softmax", name="classes"),
    ], name="classifier")
    return _compile_classifier(model)


# ============================================================================ multimodal
# Keras twins of demos/multimodal.py (same layer names, shapes and compile settings).

def build_image_model(pixels, num_classes, hidden=(50, 30, 20)):
    """Keras twin of ``demos.multimodal.build_image_model``."""
    image = keras.Input((pixels,), name="image")
    x = image
    for i, units in enumerate(hidden, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="classes")(x)
    return _compile_classifier(keras.Model(image, outputs, name="image_only"))


def build_multimodal_model(pixels, side_size, num_classes, inject="late", hidden=(50, 30, 20)):
    """Keras twin of ``demos.multimodal.build_multimodal_model`` (``inject`` late or early)."""
    if inject not in ("late", "early"):
        raise ValueError(f"build_multimodal_model: inject must be 'late' or 'early', got "
                         f"{inject!r}.")
    image = keras.Input((pixels,), name="image")
    side = keras.Input((side_size,), name="side_info")
    merge_after = 1 if inject == "early" else len(hidden)
    x = image
    for i, units in enumerate(hidden, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
        if i == merge_after:
            x = keras.layers.Concatenate(name="merge")([x, side])
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="classes")(x)
    return _compile_classifier(keras.Model([image, side], outputs, name=f"side_info_{inject}"))


# ============================================================================ pair-wise
# Keras twins of demos/pairwise.py: separate branches and a siamese (shared) encoder.
def _pair_head(merged, head_units):
    x = keras.layers.Dense(head_units, activation="relu", name="head")(merged)
    return keras.layers.Dense(1, activation="sigmoid", name="same")(x)


def _pair_inputs(pixels):
    return [keras.Input((pixels,), name=name) for name in ("input_img0", "input_img1")]


def _pair_compile(model):
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _apply_layers(layers, x):
    for layer in layers:
        x = layer(x)
    return x


def build_separate_pair_model(pixels, units=(100,), head_units=100):
    """Keras twin of ``demos.pairwise.build_separate_pair_model``."""
    img0, img1 = _pair_inputs(pixels)
    branches = [[keras.layers.Dense(n, activation="relu", name=f"branch{b}_dense_{i}")
                 for i, n in enumerate(units, start=1)] for b in (0, 1)]
    merged = keras.layers.Concatenate(name="merge")(
        [_apply_layers(branches[0], img0), _apply_layers(branches[1], img1)])
    return _pair_compile(keras.Model([img0, img1], _pair_head(merged, head_units),
                                     name="separate_branches"))


def build_siamese_pair_model(pixels, units=(100,), head_units=100, merge="concatenate"):
    """Keras twin of ``demos.pairwise.build_siamese_pair_model`` (one encoder called twice)."""
    if merge not in ("concatenate", "abs_difference"):
        raise ValueError(f"build_siamese_pair_model: merge must be 'concatenate' or "
                         f"'abs_difference', got {merge!r}.")
    img0, img1 = _pair_inputs(pixels)
    encoder = [keras.layers.Dense(n, activation="relu", name=f"encoder_dense_{i}")
               for i, n in enumerate(units, start=1)]
    e0, e1 = _apply_layers(encoder, img0), _apply_layers(encoder, img1)
    if merge == "concatenate":
        merged = keras.layers.Concatenate(name="merge")([e0, e1])
    else:
        difference = keras.layers.Subtract(name="difference")([e0, e1])
        merged = keras.layers.Lambda(keras.ops.abs, name="abs_difference")(difference)
    return _pair_compile(keras.Model([img0, img1], _pair_head(merged, head_units),
                                     name=f"siamese_{merge}"))


# ============================================================================ autoencoders
# Keras twins of demos/autoencoder.py, demos/denoising.py and demos/sparse_autoencoder.py.
def _keras_activity_regularizer(regularizer):
    """A Keras regularizer from a Keras one, a numpynet one (MeanActivity...) or None."""
    if regularizer is None or isinstance(regularizer, keras.regularizers.Regularizer):
        return regularizer
    from tf_reference.keras_extras import keras_regularizer
    return keras_regularizer(regularizer)


def build_autoencoder(pixels, code_size=32, hidden=(), code_activation="relu",
                      noise_stddev=None, activity_regularizer=None, learning_rate=0.001,
                      name="autoencoder"):
    """Keras twin of ``demos.autoencoder.build_autoencoder`` (Adam, MSE; code layer "encoder")."""
    inputs = keras.Input((pixels,), name="image")
    x = inputs
    if noise_stddev is not None:
        x = keras.layers.GaussianNoise(noise_stddev, name="noise")(x)
    for i, units in enumerate(hidden, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"encoder_hidden_{i}")(x)
    x = keras.layers.Dense(code_size, activation=code_activation, name="encoder",
                           activity_regularizer=_keras_activity_regularizer(
                               activity_regularizer))(x)
    for i, units in enumerate(reversed(hidden), start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"decoder_hidden_{i}")(x)
    outputs = keras.layers.Dense(pixels, activation="sigmoid", name="decoder")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


def build_denoising_autoencoder(pixels, code_size=32, stddev=0.4, hidden=()):
    """Keras twin of ``demos.denoising.build_denoising_autoencoder``."""
    return build_autoencoder(pixels, code_size, hidden=hidden, noise_stddev=stddev,
                             name="denoising_autoencoder")


def build_sparse_autoencoder(pixels, code_size=32, regularizer=None, code_activation="relu"):
    """Keras twin of ``demos.sparse_autoencoder.build_sparse_autoencoder``."""
    return build_autoencoder(pixels, code_size, code_activation=code_activation,
                             activity_regularizer=regularizer, name="sparse_autoencoder")


def encoder_model(model):
    """The Keras sub-model from the autoencoder's input to its code layer ``"encoder"``."""
    return keras.Model(model.inputs, model.get_layer("encoder").output, name="encoder_model")


def decoder_model(model):
    """The Keras model from codes to images made of the autoencoder's decoder layers (shared,
    as ``demos.autoencoder.decoder_model``): ``Input(code_size, name="code")`` → every layer
    after ``"encoder"``."""
    names = [layer.name for layer in model.layers]
    code = keras.Input((model.get_layer("encoder").units,), name="code")
    x = code
    for layer in model.layers[names.index("encoder") + 1:]:
        x = layer(x)
    return keras.Model(code, x, name="decoder_model")


# ============================================================================ vanishing gradient
# Keras twins of demos/vanishing_gradient.py (the deep narrow net) and demos/callbacks.py (the
# LAB's model is the same builder with 3 hidden sigmoid layers and Adam at 0.01).
def _deep_narrow_layer_names(num_hidden_layers):
    hidden = [f"layer_{i:02d}_hidden" for i in range(1, num_hidden_layers + 1)]
    return ["layer_00_input", *hidden, f"layer_{num_hidden_layers + 1:02d}_output"]


def build_deep_narrow_model(pixels, num_classes, activation, num_hidden_layers=10,
                            hidden_size=10, learning_rate=1e-3):
    """Keras twin of ``demos.vanishing_gradient.build_deep_narrow_model``."""
    names = _deep_narrow_layer_names(num_hidden_layers)
    layers = [keras.Input((pixels,), name="image")]
    layers += [keras.layers.Dense(hidden_size, activation=activation, name=name)
               for name in names[:-1]]
    layers.append(keras.layers.Dense(num_classes, activation="softmax", name=names[-1]))
    model = keras.Sequential(layers, name=f"deep_narrow_{activation}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_lab_model(pixels, num_classes):
    """Keras twin of ``demos.callbacks.build_lab_model``."""
    return build_deep_narrow_model(pixels, num_classes, "sigmoid", num_hidden_layers=3,
                                   learning_rate=0.01)


# ============================================================================ initialization
# Keras twins of demos/initialization.py (also used by demos/training_speedups.py). The
# initializer and optimizer arguments are names or Keras config dicts, read by both libraries.
def _keras_get(getter, identifier):
    # keras' get() rewrites a config dict in place (class_name lower-cased): give it a copy.
    def copied(value):
        return {k: copied(v) for k, v in value.items()} if isinstance(value, dict) else value
    return getter(copied(identifier))


def _random_normal(stddev):
    return keras.initializers.RandomNormal(mean=0.0, stddev=float(stddev))


def build_course_init_net(pixels, num_classes, sigma, hidden=(20, 15, 15)):
    """Keras twin of ``demos.initialization.build_course_init_net``."""
    layers = [keras.Input((pixels,), name="image")]
    for i, units in enumerate(hidden, start=1):
        initial = dict(kernel_initializer=_random_normal(sigma),
                       bias_initializer=_random_normal(sigma)) if i == 1 else {}
        layers.append(keras.layers.Dense(units, activation="sigmoid", name=f"hidden_{i}",
                                         **initial))
    layers.append(keras.layers.Dense(num_classes, activation="softmax", name="output"))
    model = keras.Sequential(layers, name="course_init_net")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_deep_init_net(pixels, num_classes, kernel_initializer="glorot_uniform",
                        activation="tanh", depth=8, width=64, batch_norm=False,
                        optimizer="adam"):
    """Keras twin of ``demos.initialization.build_deep_init_net``."""
    layers = [keras.Input((pixels,), name="image")]
    for i in range(1, depth + 1):
        init = _keras_get(keras.initializers.get, kernel_initializer)
        if batch_norm:
            layers += [keras.layers.Dense(width, use_bias=False, name=f"dense_{i}",
                                          kernel_initializer=init),
                       keras.layers.BatchNormalization(name=f"batch_norm_{i}"),
                       keras.layers.Activation(activation, name=f"{activation}_{i}")]
        else:
            layers.append(keras.layers.Dense(width, activation=activation, name=f"dense_{i}",
                                             kernel_initializer=init))
    layers.append(keras.layers.Dense(num_classes, activation="softmax", name="output",
                                     kernel_initializer=_keras_get(keras.initializers.get,
                                                                   kernel_initializer)))
    model = keras.Sequential(layers, name="deep_init_net")
    model.compile(optimizer=_keras_get(keras.optimizers.get, optimizer),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
