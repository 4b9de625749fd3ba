'''A Keras 1 custom layer, regularizers and a few removed layers.

Shows the Keras 1 `add_weight(shape, initializer, name)` order, the `initializations`
module and a model that mixes legacy layer signatures.
'''
import numpy as np

from keras import backend as K
from keras import initializations
from keras.engine.topology import Layer
from keras.layers import Input, Dense, GaussianNoise, BatchNormalization, ZeroPadding2D
from keras.layers import Convolution2D, AtrousConvolution2D, Deconvolution2D, Flatten
from keras.models import Model
from keras.regularizers import l1l2, activity_l2


class MyDense(Layer):
    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        self.init = initializations.get('glorot_uniform')
        super(MyDense, self).__init__(**kwargs)

    def build(self, input_shape):
        self.W = self.add_weight((input_shape[1], self.output_dim),
                                 initializer='glorot_uniform',
                                 name='W')
        self.b = self.add_weight((self.output_dim,), 'zero', 'b')
        super(MyDense, self).build(input_shape)

    def call(self, x, mask=None):
        return K.relu(K.dot(x, self.W) + self.b, alpha=0.1)

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], self.output_dim)


inputs = Input(shape=(8, 8, 1))
x = ZeroPadding2D(padding={'top_pad': 1, 'bottom_pad': 1, 'left_pad': 1, 'right_pad': 1})(inputs)
x = Convolution2D(4, 3, 3, border_mode='same', dim_ordering='tf')(x)
x = AtrousConvolution2D(4, 3, 3, atrous_rate=(2, 2), border_mode='same')(x)
x = Deconvolution2D(4, 3, 3, (None, 10, 10, 4), border_mode='same')(x)
x = BatchNormalization(mode=0, gamma_init='one')(x)
x = Flatten()(x)
x = GaussianNoise(sigma=0.1)(x)
x = Dense(16, W_regularizer=l1l2(0.01, 0.01), activity_regularizer=activity_l2(0.01))(x)
outputs = MyDense(2)(x)

model = Model(input=inputs, output=outputs)
model.compile(optimizer='sgd', loss='mse')
model.fit(np.random.random((32, 8, 8, 1)), np.random.random((32, 2)), nb_epoch=1, verbose=0)
print(model.predict(np.random.random((2, 8, 8, 1))))
