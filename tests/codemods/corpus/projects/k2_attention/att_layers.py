"""Attention layers written against the Keras 2 backend API (through compat.K)."""
from keras.engine.topology import Layer
from keras import initializers

from compat import K


class AttentionPooling(Layer):
    """Additive attention that pools a sequence into one vector."""

    def __init__(self, units=8, **kwargs):
        self.units = units
        self.init = initializers.get('glorot_uniform')
        super(AttentionPooling, self).__init__(**kwargs)

    def build(self, input_shape):
        dim = input_shape[-1]
        self.W = self.add_weight(name='att_W', shape=(dim, self.units),
                                 initializer=self.init, trainable=True)
        self.b = self.add_weight(name='att_b', shape=(self.units,),
                                 initializer='zeros', trainable=True)
        self.u = self.add_weight(name='att_u', shape=(self.units, 1),
                                 initializer=self.init, trainable=True)
        super(AttentionPooling, self).build(input_shape)

    def call(self, x, mask=None):
        e = K.tanh(K.bias_add(K.dot(x, self.W), self.b))
        scores = K.squeeze(K.dot(e, self.u), axis=-1)
        alpha = K.softmax(scores)
        weighted = x * K.expand_dims(alpha, axis=-1)
        return K.sum(weighted, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = {'units': self.units}
        base_config = super(AttentionPooling, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class ScaledSelfAttention(Layer):
    """Scaled dot-product self-attention with a residual connection."""

    def call(self, x):
        dim = K.int_shape(x)[-1]
        scores = K.batch_dot(x, x, axes=[2, 2]) / K.sqrt(K.cast(dim, K.floatx()))
        weights = K.softmax(scores)
        context = K.batch_dot(weights, x, axes=[2, 1])
        return K.concatenate([x, context], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (2 * input_shape[-1],)


class L2Norm(Layer):
    """Unit-normalises the features, then rescales them by a learned gain."""

    def build(self, input_shape):
        self.gain = self.add_weight(name='gain', shape=(input_shape[-1],),
                                    initializer='ones')
        super(L2Norm, self).build(input_shape)

    def call(self, x):
        flat = K.reshape(x, (K.shape(x)[0], -1))
        norm = K.l2_normalize(flat, axis=-1)
        return K.clip(norm * self.gain, -1.0, 1.0)
