"""A custom optimizer written for the Keras 2 optimizer API."""
from .compat import K, keras


class ClippedSGD(keras.optimizers.Optimizer):
    def __init__(self, lr=0.01, clip=1.0, **kwargs):
        super(ClippedSGD, self).__init__(**kwargs)
        self.lr = K.variable(lr, name='lr')
        self.clip = clip

    def get_updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        self.updates = []
        for p, g in zip(params, grads):
            g = K.clip(g, -self.clip, self.clip)
            self.updates.append(K.update(p, p - self.lr * g))
        return self.updates


def make_optimizer():
    if K.backend() == 'theano':
        return keras.optimizers.sgd(lr=0.01)
    return keras.optimizers.rmsprop(lr=0.001)
