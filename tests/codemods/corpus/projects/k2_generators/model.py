"""The Sequential convnet of the project."""
from keras.models import Sequential
from keras.layers import Conv2D, BatchNormalization, MaxPooling2D, Flatten, Dense
from keras.layers.advanced_activations import LeakyReLU
from keras.regularizers import l2


def build_model():
    model = Sequential()
    model.add(Conv2D(4, (3, 3), padding='same', input_shape=(8, 8, 1),
                     kernel_regularizer=l2(1e-3)))
    model.add(BatchNormalization())
    model.add(LeakyReLU(alpha=0.1))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Flatten())
    model.add(Dense(3, activation='softmax'))
    return model
