"""Custom losses and metrics in the Keras 2 style (functions of y_true, y_pred)."""
import keras

K = keras.backend


def focal_loss(gamma=2.0):
    def loss(y_true, y_pred):
        y_pred = K.clip(y_pred, K.epsilon(), 1. - K.epsilon())
        cross_entropy = -y_true * K.log(y_pred)
        weight = K.pow(1. - y_pred, gamma)
        return K.sum(weight * cross_entropy, axis=-1)
    return loss


def top1(y_true, y_pred):
    return K.cast(K.equal(K.argmax(y_true, axis=-1), K.argmax(y_pred, axis=-1)), K.floatx())


def mean_confidence(y_true, y_pred):
    return K.max(y_pred, axis=-1)
