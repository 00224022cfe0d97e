"""``History``: the per-epoch record that ``fit`` returns."""

from numpynet.callbacks.callback import Callback


class History(Callback):
    """Records every ``logs`` key at each epoch end; ``fit`` returns it.

    Attributes:
        history: dict ``key -> list of per-epoch values``.
        epoch: list of epoch indices seen.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self  # as Keras: model.history is the last fit's History
