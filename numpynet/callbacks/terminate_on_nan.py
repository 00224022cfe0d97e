"""``TerminateOnNaN``: stops training as soon as the loss becomes NaN or infinite."""

import numpy as np

from numpynet.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stops training when a batch ends with a NaN or infinite loss.

    By default training stops gracefully (``model.stop_training = True``): the epoch ends,
    ``on_epoch_end`` and ``on_train_end`` still run. With ``raise_error=True`` a
    ``RuntimeError`` is raised at once instead, and no other callback's ``on_train_end`` runs
    (useful to keep a ``BackupAndRestore`` backup).

    Args:
        raise_error: raise instead of stopping gracefully. Default False.

    Raises:
        RuntimeError: (during ``fit``, with ``raise_error=True``) naming the batch and the loss.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or np.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. "
                               f"Loss value: {loss}. Terminating training immediately.")
        # Keras prints "Batch {batch}: Invalid loss, terminating training"; the value is added.
        print(f"Batch {batch}: Invalid loss, terminating training (loss = {loss}).")
        self.model.stop_training = True
