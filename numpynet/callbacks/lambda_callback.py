"""``LambdaCallback``: a callback made of plain functions, one per hook."""

from numpynet.callbacks.callback import _HOOKS, Callback


class LambdaCallback(Callback):
    """Builds a callback from functions, as ``keras.callbacks.LambdaCallback``.

    Each function takes the hook's positional arguments: ``on_epoch_begin``/``on_epoch_end``
    take ``(epoch, logs)``, ``on_train_begin``/``on_train_end`` take ``(logs)``, the batch hooks
    take ``(batch, logs)``. Any other hook of :class:`Callback` can be given by name, including
    numpynet's ``on_train_batch_gradients=lambda batch, gradients: ...``.

    Args:
        on_epoch_begin, on_epoch_end, on_train_begin, on_train_end, on_train_batch_begin,
        on_train_batch_end: functions for those hooks (None keeps the default, which does
            nothing).
        **kwargs: more hooks by name, e.g. ``on_test_end=fn``.

    Raises:
        ValueError: if a keyword is not the name of a hook (Keras would accept and ignore it).

    Example:
        >>> losses = []
        >>> log = nn.callbacks.LambdaCallback(
        ...     on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = sorted(name for name in kwargs if name not in _HOOKS)
        if unknown:
            raise ValueError(f"LambdaCallback got {unknown}, which are not callback hooks. "
                             f"Valid hooks: {_HOOKS}.")
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end, **kwargs}
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)  # an instance attribute hides the method
