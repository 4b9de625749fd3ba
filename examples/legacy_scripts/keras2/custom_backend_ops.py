"""Custom layers, losses and metrics written with the Keras 2 backend API.

Everything below only uses `keras.backend` (imported as K), the portable style the
Keras 2 docs recommended; Keras 3 moved these functions to keras.ops.
"""
import numpy as np
import keras
from keras import backend as K
from keras.layers import Layer, Input, Dense, Lambda
from keras.models import Model


def top2_accuracy(y_true, y_pred):
    return K.mean(K.cast(K.in_top_k(y_pred, K.argmax(y_true), 2), 'float32'))


def clipped_mse(y_true, y_pred):
    diff = K.clip(y_pred - y_true, -1.0, 1.0)
    return K.mean(K.square(diff), axis=-1)


class Attention(Layer):
    """Dot-product attention pooling over time steps."""

    def build(self, input_shape):
        self.w = self.add_weight('att_w', (input_shape[-1], 1), initializer='glorot_uniform')
        super(Attention, self).build(input_shape)

    def call(self, x):
        scores = K.squeeze(K.dot(x, self.w), -1)
        weights = K.softmax(scores)
        context = K.batch_dot(K.expand_dims(weights, 1), x, axes=(2, 1))
        return K.reshape(context, (-1, K.int_shape(x)[-1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


inputs = Input(shape=(6, 4))
h = Attention()(inputs)
h = Lambda(lambda t: K.switch(K.greater(t, 0.0), t, 0.1 * t))(h)
h = Dense(8, activation=lambda t: K.relu(t, max_value=6.0))(h)
repeated = Lambda(lambda t: K.repeat(t, 2))(h)
h = Lambda(lambda t: K.sum(t, axis=1))(repeated)
outputs = Dense(3, activation='softmax')(h)

model = Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.SGD(lr=0.01), loss=clipped_mse,
              metrics=['accuracy', top2_accuracy])

x = np.random.random((64, 6, 4)).astype('float32')
y = keras.utils.to_categorical(np.random.randint(3, size=64), 3)
model.fit(x, y, epochs=1, batch_size=16, verbose=1)

K.set_value(model.optimizer.lr, 0.005)
print('learning rate now', K.get_value(model.optimizer.lr))

get_hidden = K.function([model.input, K.learning_phase()], [model.layers[1].output])
