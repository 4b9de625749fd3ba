'''Trains an LSTM on an IMDB-like sentiment task (Keras 1.x).

Notes:
- RNNs are tricky. Choice of batch size is important,
  choice of loss and optimizer is critical, etc.
- Random integer sequences stand in for the reviews here.
'''
from __future__ import print_function
import numpy as np
np.random.seed(1337)

from keras.preprocessing import sequence
from keras.models import Sequential
from keras.layers import Dense, Activation, Embedding
from keras.layers import LSTM, GRU, SimpleRNN
from keras.regularizers import l2

max_features = 2000
maxlen = 40  # cut texts after this number of words
batch_size = 32

X_train = [list(np.random.randint(1, max_features, size=np.random.randint(5, 60)))
           for _ in range(200)]
y_train = np.random.randint(2, size=(200,))

print('Pad sequences (samples x time)')
X_train = sequence.pad_sequences(X_train, maxlen=maxlen)
print('X_train shape:', X_train.shape)

print('Build model...')
model = Sequential()
model.add(Embedding(max_features, 32, input_length=maxlen, dropout=0.2))
model.add(LSTM(16, dropout_W=0.2, dropout_U=0.2, return_sequences=True,
               inner_init='orthogonal', forget_bias_init='one'))
model.add(GRU(output_dim=16, consume_less='mem', W_regularizer=l2(0.01)))
model.add(Dense(1))
model.add(Activation('sigmoid'))

# try using different optimizers and different optimizer configs
model.compile(loss='binary_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])

print('Train...')
model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=1,
          validation_split=0.2)
score, acc = model.evaluate(X_train, y_train, batch_size=batch_size)
print('Test score:', score)
print('Test accuracy:', acc)
print(model.predict_classes(X_train[:4]))
