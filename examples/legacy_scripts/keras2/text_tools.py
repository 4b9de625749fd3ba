"""Text classification with the Keras 2 preprocessing utilities and scikit-learn.

Tokenizer and the scikit-learn wrapper have no drop-in Keras 3 equivalent, so the
upgrade leaves them in place with follow-up notes.
"""
import numpy as np
from keras.preprocessing.text import Tokenizer
from keras.preprocessing.sequence import pad_sequences
from keras.models import Sequential
from keras.layers import Dense, Embedding, GlobalAveragePooling1D
from keras.wrappers.scikit_learn import KerasClassifier
from keras.utils import multi_gpu_model

texts = ['the cat sat on the mat', 'dogs bark loudly', 'the mat is red']
labels = np.array([1, 0, 1])

tokenizer = Tokenizer(num_words=100)
tokenizer.fit_on_texts(texts)
sequences = pad_sequences(tokenizer.texts_to_sequences(texts), maxlen=6)


def build_fn():
    model = Sequential()
    model.add(Embedding(100, 8))
    model.add(GlobalAveragePooling1D())
    model.add(Dense(1, activation='sigmoid'))
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
    return model


clf = KerasClassifier(build_fn=build_fn, epochs=1, batch_size=2, verbose=0)
parallel = multi_gpu_model(build_fn(), gpus=2)
