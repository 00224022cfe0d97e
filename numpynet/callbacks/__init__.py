"""Keras callbacks and the course's training instruments (``nn.callbacks``)."""

from numpynet.callbacks.callback import Callback, CallbackList
from numpynet.callbacks.history import History
from numpynet.callbacks.progbar import ProgbarLogger
