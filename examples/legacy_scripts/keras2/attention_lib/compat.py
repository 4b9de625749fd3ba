"""Pick standalone Keras or tf.keras once; the rest of the package imports K from here."""
try:
    from tensorflow.keras import backend as K
    from tensorflow import keras
except ImportError:
    from keras import backend as K
    import keras

floatx = K.floatx
