"""``ProgbarLogger``: fit's progress display, drawn with tqdm."""

from numpynet.callbacks.callback import Callback


def format_logs(logs):
    return " - ".join(f"{k}: {v:.4f}" for k, v in (logs or {}).items()
                      if isinstance(v, (int, float)))


class ProgbarLogger(Callback):
    """Shows one tqdm bar per epoch (``verbose=1``) or one line per epoch (``verbose=2``)."""

    def __init__(self):
        super().__init__()
        self._bar = None

    def _verbose(self):
        verbose = self.params.get("verbose", 1)
        return 1 if verbose == "auto" else verbose

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self._verbose() == 1:
            from tqdm.auto import tqdm
            self._bar = tqdm(total=self.params.get("steps"), unit="batch", leave=True,
                             desc=f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}")

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix_str(format_logs(logs), refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.set_postfix_str(format_logs(logs))
            self._bar.close()
            self._bar = None
        elif self._verbose() == 2:
            print(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')} - {format_logs(logs)}")

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
