"""A robust regression loss and a stateful metric, written with tf ops."""
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import backend as K


def smooth_l1(y_true, y_pred):
    err = y_true - y_pred
    quadratic = 0.5 * tf.square(err)
    linear = tf.abs(err) - 0.5
    return tf.reduce_mean(tf.where(tf.abs(err) < 1.0, quadratic, linear), axis=-1)


class RootMeanSquare(keras.metrics.Metric):
    """RMS error accumulated over the epoch."""

    def __init__(self, name='rms', **kwargs):
        super(RootMeanSquare, self).__init__(name=name, **kwargs)
        self.total = self.add_weight(name='total', initializer='zeros')
        self.count = self.add_weight(name='count', initializer='zeros')

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.cast(y_true, y_pred.dtype)
        self.total.assign_add(tf.reduce_sum(tf.square(y_true - y_pred)))
        self.count.assign_add(tf.cast(tf.size(y_true), tf.float32))

    def result(self):
        return tf.sqrt(tf.math.divide_no_nan(self.total, self.count))

    def reset_states(self):
        K.batch_set_value([(v, 0.0) for v in self.variables])
