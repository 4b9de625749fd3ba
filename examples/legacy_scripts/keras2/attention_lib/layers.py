"""Layers written against the backend API re-exported by ``compat``."""
from .compat import K, keras


class ScaledDotAttention(keras.layers.Layer):
    """Scaled dot-product self-attention over time steps."""

    def call(self, x):
        scale = K.sqrt(K.cast(K.shape(x)[-1], K.floatx()))
        scores = K.batch_dot(x, x, axes=(2, 2)) / scale
        weights = K.softmax(scores)
        return K.batch_dot(weights, x, axes=(2, 1))

    def compute_output_shape(self, input_shape):
        return input_shape


class PositionBias(keras.layers.Layer):
    """Adds a learned per-position bias; its step counter is a backend variable."""

    def build(self, input_shape):
        self.bias = self.add_weight(name='bias', shape=(input_shape[1], 1), initializer='zeros')
        self.steps = K.zeros((), dtype='int64')
        super(PositionBias, self).build(input_shape)

    def call(self, x):
        offset = K.constant(0.5)
        return x + self.bias * offset

    def get_config(self):
        return super(PositionBias, self).get_config()


def leaky_head(units):
    return keras.layers.LeakyReLU(alpha=0.2)


def time_steps(x):
    """Number of steps as a tensor, and every shape entry but the batch."""
    rest = K.shape(x)[1:]
    return rest * 1
