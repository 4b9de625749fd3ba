"""Backend shim shared by the package: standalone Keras first, tf.keras as a fallback."""
try:
    from keras import backend as K
except ImportError:  # pragma: no cover
    from tensorflow.keras import backend as K

__all__ = ['K']
