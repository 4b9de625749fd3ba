"""Train a tiny attention model; run from the folder above: python -m attention_lib.train"""
import numpy as np
from attention_lib.compat import K, keras
from attention_lib.layers import ScaledDotAttention, PositionBias, leaky_head
from attention_lib.optimizers import make_optimizer

inputs = keras.layers.Input(shape=(5, 4))
h = ScaledDotAttention()(inputs)
h = PositionBias()(h)
h = keras.layers.Flatten()(h)
h = keras.layers.Dense(8)(h)
h = leaky_head(8)(h)
outputs = keras.layers.Dense(2, activation='softmax')(h)
model = keras.models.Model(inputs, outputs)
model.compile(make_optimizer(), 'categorical_crossentropy')
print(model.layers[1].output_shape, K.int_shape(model.output))
x = np.random.random((16, 5, 4)).astype('float32')
print(K.eval(K.mean(model(x))))
print(model.output.get_shape().as_list())
