"""A tf.keras (TF 2.x) custom layer, model and loss written with raw TensorFlow ops.

This was the style of many TF 2 tutorials: subclass tf.keras.layers.Layer and use tf.*
inside call(). Keras 3 runs these on any backend once the ops come from keras.ops.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class Linear(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1], self.units),
                                 initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


class FeatureScaler(layers.Layer):
    def call(self, inputs):
        mean = tf.reduce_mean(inputs, axis=-1, keepdims=True)
        centered = tf.cast(inputs, tf.float32) - mean
        norm = tf.sqrt(tf.reduce_sum(tf.square(centered), axis=-1, keep_dims=True) + 1e-6)
        return tf.concat([centered / norm, tf.nn.relu(inputs)], axis=-1)


def smooth_l1(y_true, y_pred):
    diff = tf.abs(y_true - y_pred)
    return tf.reduce_mean(tf.where(diff < 1.0, 0.5 * tf.square(diff), diff - 0.5), axis=-1)


inputs = keras.Input(shape=(8,))
x = FeatureScaler()(inputs)
x = Linear(16)(x)
x = layers.Lambda(lambda t: tf.nn.leaky_relu(t, alpha=0.1))(x)
outputs = tf.keras.layers.Dense(2)(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=1e-3), loss=smooth_l1)

data = np.random.random((64, 8)).astype("float32")
target = np.random.random((64, 2)).astype("float32")
model.fit(data, target, epochs=1, batch_size=16)
