"""Keras callbacks and the course's training instruments (``nn.callbacks``)."""

from numpynet.callbacks.callback import Callback, CallbackList
from numpynet.callbacks.history import History
from numpynet.callbacks.progbar import ProgbarLogger
from numpynet.callbacks.backup_and_restore import BackupAndRestore
from numpynet.callbacks.csv_logger import CSVLogger
from numpynet.callbacks.early_stopping import EarlyStopping, MonitorCallback
from numpynet.callbacks.instruments import ActivationStats, GradientTracker, LayerWeightsStats
from numpynet.callbacks.lambda_callback import LambdaCallback
from numpynet.callbacks.lr_callbacks import LearningRateScheduler, ReduceLROnPlateau
from numpynet.callbacks.model_checkpoint import ModelCheckpoint
from numpynet.callbacks.terminate_on_nan import TerminateOnNaN
from numpynet.callbacks.tensorboard import TensorBoard
