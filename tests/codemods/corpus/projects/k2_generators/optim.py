"""Project optimizers."""
from keras.optimizers import SGD


class NesterovSGD(SGD):
    """SGD with the project's defaults (momentum 0.9, Nesterov)."""

    def __init__(self, lr=0.05, **kwargs):
        super(NesterovSGD, self).__init__(lr=lr, momentum=0.9, nesterov=True, **kwargs)
