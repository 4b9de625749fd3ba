"""Callbacks of the Keras 2 era: epoch bookkeeping and a step learning-rate schedule."""
from keras.callbacks import Callback
import keras.backend as K


class EpochHistory(Callback):
    """Keeps the loss and the learning rate seen at the end of every epoch."""

    def on_train_begin(self, logs={}):
        self.losses = []
        self.lrs = []

    def on_epoch_end(self, epoch, logs={}):
        self.losses.append(logs.get('loss'))
        self.lrs.append(float(K.get_value(self.model.optimizer.lr)))


def step_decay(epoch):
    return 0.01 * (0.5 ** epoch)
