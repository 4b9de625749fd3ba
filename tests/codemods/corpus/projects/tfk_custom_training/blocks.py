"""Custom tf.keras layers written with TensorFlow ops (TF 2.x tutorial style)."""
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class GatedDense(layers.Layer):
    """A GLU: half of the projection gates the other half."""

    def __init__(self, units, **kwargs):
        super(GatedDense, self).__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        dim = input_shape.as_list()[-1]
        self.kernel = self.add_weight('kernel', shape=(dim, 2 * self.units),
                                      initializer='glorot_uniform', trainable=True)
        self.bias = self.add_weight('bias', shape=(2 * self.units,), initializer='zeros')

    def call(self, inputs):
        h = tf.matmul(inputs, self.kernel) + self.bias
        a, g = tf.split(h, 2, axis=-1)
        return a * tf.nn.sigmoid(g)

    def get_config(self):
        config = super(GatedDense, self).get_config()
        config.update({'units': self.units})
        return config


class FeatureStats(layers.Layer):
    """Appends the mean and the spread of the features."""

    def call(self, inputs):
        mean = tf.reduce_mean(inputs, axis=-1, keepdims=True)
        spread = tf.reduce_max(inputs, axis=-1, keepdims=True) - tf.reduce_min(
            inputs, axis=-1, keepdims=True)
        return tf.concat([inputs, mean, tf.math.log(1.0 + tf.abs(spread))], axis=-1)


def build_model(n_features=10):
    numeric = keras.Input(shape=(n_features,), name='numeric')
    h = GatedDense(8)(numeric)
    h = FeatureStats()(h)
    h = layers.LeakyReLU(alpha=0.2)(h)
    h = layers.Lambda(lambda t: tf.clip_by_value(t, -3.0, 3.0))(h)
    out = layers.Dense(1, name='target')(h)
    return keras.Model(inputs=numeric, outputs=out)
