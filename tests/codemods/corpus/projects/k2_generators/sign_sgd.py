"""signSGD for the Keras 2 optimizer API (kept for the experiments of 2018)."""
from keras import backend as K
from keras.legacy import interfaces
from keras.optimizers import Optimizer, RMSprop


class SignSGD(Optimizer):
    """signSGD written against the Keras 2 optimizer API (get_updates)."""

    def __init__(self, lr=0.01, **kwargs):
        super(SignSGD, self).__init__(**kwargs)
        with K.name_scope(self.__class__.__name__):
            self.iterations = K.variable(0, dtype='int64', name='iterations')
            self.lr = K.variable(lr, name='lr')

    @interfaces.legacy_get_updates_support
    def get_updates(self, loss, params):
        grads = self.get_gradients(loss, params)
        self.updates = [K.update_add(self.iterations, 1)]
        for p, g in zip(params, grads):
            self.updates.append(K.update(p, p - self.lr * K.sign(g)))
        return self.updates

    def get_config(self):
        config = {'lr': float(K.get_value(self.lr))}
        base_config = super(SignSGD, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


def make_optimizer(name, lr):
    if name == 'rmsprop':
        return RMSprop(lr=lr, rho=0.9)
    return SignSGD(lr=lr)
