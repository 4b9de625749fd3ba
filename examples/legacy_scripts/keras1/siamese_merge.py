'''Siamese-style network with the Keras 1 functional API and `merge`.

Two inputs share an encoder; their codes are merged in several ways and a small
classifier predicts whether the pair matches. Random vectors stand in for real pairs.
'''
from __future__ import print_function
import numpy as np

from keras.layers import Input, Dense, Dropout, Lambda, merge
from keras.models import Model
from keras.optimizers import RMSprop
from keras import backend as K


def euclidean_distance(vects):
    x, y = vects
    return K.sqrt(K.maximum(K.sum(K.square(x - y), axis=1, keepdims=True), K.epsilon()))


def eucl_dist_output_shape(shapes):
    shape1, shape2 = shapes
    return (shape1[0], 1)


def contrastive_loss(y_true, y_pred):
    margin = 1
    return K.mean(y_true * K.square(y_pred) + (1 - y_true) * K.square(K.maximum(margin - y_pred, 0)))


input_dim = 16
nb_epoch = 1

base_input = Input(shape=(input_dim,))
hidden = Dense(32, activation='relu', init='glorot_uniform')(base_input)
hidden = Dropout(0.1)(hidden)
encoded = Dense(8, activation='relu')(hidden)
encoder = Model(input=base_input, output=encoded)

input_a = Input(shape=(input_dim,))
input_b = Input(shape=(input_dim,))
processed_a = encoder(input_a)
processed_b = encoder(input_b)

summed = merge([processed_a, processed_b], mode='sum')
product = merge([processed_a, processed_b], mode='mul')
joined = merge([summed, product], mode='concat', concat_axis=-1)
distance = Lambda(euclidean_distance, output_shape=eucl_dist_output_shape)([processed_a, processed_b])
features = merge([Dense(1)(joined), distance], mode='concat')
out = Dense(1, activation='sigmoid')(features)

model = Model(input=[input_a, input_b], output=out)
rms = RMSprop(lr=0.001)
model.compile(loss=contrastive_loss, optimizer=rms)

pairs_a = np.random.random((128, input_dim)).astype('float32')
pairs_b = np.random.random((128, input_dim)).astype('float32')
labels = np.random.randint(2, size=(128, 1)).astype('float32')
model.fit([pairs_a, pairs_b], labels, batch_size=32, nb_epoch=nb_epoch)
print(model.predict([pairs_a[:2], pairs_b[:2]]))
