"""Code that reached into TensorFlow's private Keras package (tf 1.x / 2.0 era)."""
import numpy as np
from tensorflow.python.keras.layers import Dense, Dropout
from tensorflow.python.keras.models import Sequential
from tensorflow.python.keras import backend as K

model = Sequential()
model.add(Dense(16, activation="relu", input_shape=(10,)))
model.add(Dropout(0.2))
model.add(Dense(1))
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.random((32, 10)), np.random.random((32, 1)), epochs=1, verbose=0)
print(K.int_shape(model.layers[-1].output), K.eval(K.sum(K.ones((2, 2)))))
