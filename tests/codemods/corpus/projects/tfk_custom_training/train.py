"""Train the regression model with tf.keras: Sequence input, callbacks, custom loss/metric."""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.callbacks import Callback, EarlyStopping

from blocks import build_model
from objectives import RootMeanSquare, smooth_l1

tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)


class Batches(keras.utils.Sequence):
    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]


class RecordEpochs(Callback):
    def on_train_begin(self, logs=None):
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append([logs['loss'], logs['rms']])


def seed_weights(model, seed):
    rng = np.random.RandomState(seed)
    model.set_weights([
        (rng.normal(0, 1.0 / np.sqrt(w.shape[0]), w.shape) if w.ndim > 1
         else rng.uniform(-0.2, 0.2, w.shape)).astype('float32')
        for w in model.get_weights()
    ])


def run():
    rng = np.random.RandomState(7)
    x = rng.normal(size=(40, 10)).astype('float32')
    y = (x[:, :1] * 2.0 - x[:, 1:2] + 0.1 * rng.normal(size=(40, 1))).astype('float32')
    model = build_model()
    seed_weights(model, 8)
    before = model.predict(x)
    model.compile(optimizer=keras.optimizers.legacy.Adam(lr=0.01), loss=smooth_l1,
                  metrics=[RootMeanSquare()])
    record = RecordEpochs()
    hist = model.fit(Batches(x, y, 10), epochs=3, shuffle=False, verbose=0,
                     callbacks=[record, EarlyStopping(monitor='loss', patience=5)])
    after = model.predict(x, batch_size=20)
    evaluated = model.evaluate(x, y, batch_size=20, verbose=0)
    return {
        'before': before,
        'loss': np.array(hist.history['loss']),
        'record': np.array(record.seen),
        'after': after,
        'evaluated': np.array(evaluated),
    }


if __name__ == '__main__':
    print(run())
