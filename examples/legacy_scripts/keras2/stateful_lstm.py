"""Stateful LSTM on a toy time series, plus an Embedding-first text model (Keras 2.1).

Stateful RNNs need the full batch_input_shape on their first layer.
"""
from __future__ import print_function
import numpy as np
from keras.models import Sequential
from keras.layers import Dense, LSTM, GRU, Embedding, CuDNNGRU, InputLayer

tsteps = 1
batch_size = 8
epochs = 1

x = np.random.random((64, tsteps, 1)).astype('float32')
y = np.random.random((64, 1)).astype('float32')

print('Creating Model...')
model = Sequential()
model.add(LSTM(16,
               batch_input_shape=(batch_size, tsteps, 1),
               return_sequences=True,
               stateful=True))
model.add(LSTM(16, return_sequences=False, stateful=True))
model.add(Dense(1))
model.compile(loss='mse', optimizer='rmsprop')

print('Training')
for i in range(epochs):
    print('Epoch', i + 1, '/', epochs)
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=1, shuffle=False)
    model.reset_states()

text_model = Sequential([
    Embedding(500, 16, input_length=10),
    GRU(8),
    Dense(1, activation='sigmoid'),
])
text_model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['acc'])
history = text_model.fit(np.random.randint(500, size=(32, 10)), np.random.randint(2, size=(32, 1)),
                         epochs=1, verbose=0)
print(history.history['acc'])

fast = Sequential([InputLayer(input_shape=(10, 4)), CuDNNGRU(8), Dense(1)])
fast.summary()
