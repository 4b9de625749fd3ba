"""Project optimizers."""
from keras import backend as K
from keras.legacy import interfaces
from keras.optimizers import Optimizer, SGD


class NesterovSGD(SGD):
    """SGD with the project's defaults (momentum 0.9, Nesterov)."""

    def __init__(self, lr=0.05, **kwargs):
        super(NesterovSGD, self).__init__(lr=lr, momentum=0.9, nesterov=True, **kwargs)


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
