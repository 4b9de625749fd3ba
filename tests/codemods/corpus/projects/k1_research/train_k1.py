"""A Keras 1 research script: two-branch convnet with merge(), trained with nb_epoch."""
import numpy as np
np.random.seed(1337)

from keras import backend as K
from keras.engine.topology import Layer
from keras.layers import Input, Convolution2D, MaxPooling2D, Flatten, Dense, Activation, merge
from keras.models import Model, Sequential
from keras.optimizers import SGD
from keras.regularizers import l2
from keras.utils import np_utils


class Scale(Layer):
    """Per-feature gain plus the feature mean (Keras 1 layer API)."""

    def __init__(self, **kwargs):
        super(Scale, self).__init__(**kwargs)

    def build(self, input_shape):
        self.gamma = self.add_weight((input_shape[-1],), initializer='one', name='gamma')
        self.built = True

    def call(self, x, mask=None):
        return x * self.gamma + K.mean(x, axis=-1, keepdims=True)

    def get_output_shape_for(self, input_shape):
        return input_shape


def seed_weights(model, seed):
    rng = np.random.RandomState(seed)
    weights = []
    for w in model.get_weights():
        if w.ndim > 1:
            weights.append(rng.normal(0, 1.0 / np.sqrt(np.prod(w.shape[:-1])), w.shape))
        else:
            weights.append(rng.uniform(0.5, 1.5, w.shape))
    model.set_weights([w.astype('float32') for w in weights])


def build_graph():
    inp = Input(shape=(8, 8, 1))
    a = Convolution2D(4, 3, 3, border_mode='same', init='he_normal', W_regularizer=l2(1e-3),
                      activation='tanh')(inp)
    b = Convolution2D(4, 1, 1, border_mode='valid', subsample=(1, 1))(inp)
    m = merge([a, b], mode='sum')
    m = MaxPooling2D(pool_size=(2, 2))(m)
    f = Flatten()(m)
    d1 = Dense(output_dim=6, activation='tanh')(f)
    d2 = Dense(6, init='uniform')(f)
    c = merge([d1, d2], mode='concat', concat_axis=-1)
    c = Scale()(c)
    out = Dense(3, activation='softmax')(c)
    return Model(input=inp, output=out)


def build_mlp():
    model = Sequential()
    model.add(Dense(12, input_dim=10, init='glorot_uniform'))
    model.add(Activation('tanh'))
    model.add(Dense(output_dim=2))
    model.add(Activation('softmax'))
    return model


def run():
    rng = np.random.RandomState(3)
    x = rng.rand(24, 8, 8, 1).astype('float32')
    y = np_utils.to_categorical(rng.randint(0, 3, size=24), 3)
    graph = build_graph()
    seed_weights(graph, 4)
    before = graph.predict(x, batch_size=8)
    graph.compile(optimizer=SGD(lr=0.01, momentum=0.5), loss='categorical_crossentropy')
    hist = graph.fit(x, y, batch_size=8, nb_epoch=2, shuffle=False, verbose=0)
    after = graph.predict(x, batch_size=8)

    xm = rng.rand(20, 10).astype('float32')
    ym = np_utils.to_categorical(rng.randint(0, 2, size=20), 2)
    mlp = build_mlp()
    seed_weights(mlp, 5)
    mlp.compile(loss='categorical_crossentropy', optimizer=SGD(lr=0.1), metrics=['accuracy'])
    mlp_hist = mlp.fit(xm, ym, batch_size=10, nb_epoch=3, shuffle=False, verbose=0)
    score = mlp.evaluate(xm, ym, batch_size=10, verbose=0)
    proba = mlp.predict_proba(xm, batch_size=10, verbose=0)
    return {
        'before': before,
        'loss': np.array(hist.history['loss']),
        'after': after,
        'mlp_loss': np.array(mlp_hist.history['loss']),
        'mlp_acc': np.array(mlp_hist.history['acc']),
        'score': np.array(score),
        'proba': proba,
    }


if __name__ == '__main__':
    print(run())
