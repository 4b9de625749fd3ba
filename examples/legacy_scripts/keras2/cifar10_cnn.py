"""Train a simple deep CNN on CIFAR10-shaped images (standalone Keras 2.2).

Random images replace the dataset download; everything else follows the classic
example: data augmentation through a Sequence, fit_generator with workers, Adam with
a decaying learning rate and an HDF5 checkpoint.
"""
from __future__ import print_function
import os

import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Dense, Dropout, Activation, Flatten
from keras.layers import Conv2D, MaxPooling2D
from keras.utils import Sequence, to_categorical
from keras import backend as K

batch_size = 16
num_classes = 10
epochs = 1
save_dir = os.path.join(os.getcwd(), 'saved_models')
model_name = 'keras_cifar10_trained_model.h5'

x_train = np.random.random((96, 32, 32, 3)).astype('float32')
y_train = to_categorical(np.random.randint(num_classes, size=(96, 1)), num_classes)


class RandomFlipSequence(Sequence):
    def __init__(self, x, y, batch_size):
        self.x, self.y = x, y
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        bx = self.x[idx * self.batch_size:(idx + 1) * self.batch_size]
        by = self.y[idx * self.batch_size:(idx + 1) * self.batch_size]
        return bx[:, :, ::-1, :], by


model = Sequential()
model.add(Conv2D(8, (3, 3), padding='same', input_shape=x_train.shape[1:]))
model.add(Activation('relu'))
model.add(Conv2D(8, (3, 3)))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(32))
model.add(Activation('relu'))
model.add(Dense(num_classes))
model.add(Activation('softmax'))

opt = keras.optimizers.Adam(lr=0.0001, decay=1e-6)
model.compile(loss='categorical_crossentropy', optimizer=opt, metrics=['accuracy'])

print('image data format:', K.image_data_format())
model.fit_generator(RandomFlipSequence(x_train, y_train, batch_size),
                    steps_per_epoch=len(x_train) // batch_size,
                    epochs=epochs,
                    workers=1,
                    use_multiprocessing=False)

if not os.path.isdir(save_dir):
    os.makedirs(save_dir)
model_path = os.path.join(save_dir, model_name)
model.save(model_path)
print('Saved trained model at %s ' % model_path)

scores = model.evaluate(x_train, y_train, verbose=1)
print('Test loss:', scores[0])
print(model.predict_proba(x_train[:2]))
