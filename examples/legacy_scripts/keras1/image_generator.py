'''Train a small CNN with real-time data augmentation (Keras 1.x).

Uses ImageDataGenerator and fit_generator with sample counts, the way the Keras 1
cifar10 example did; checkpoints the best model as HDF5.
'''
from __future__ import print_function
import numpy as np

from keras.preprocessing.image import ImageDataGenerator
from keras.models import Sequential, load_model
from keras.layers import Dense, Flatten, Convolution2D, MaxPooling2D
from keras.callbacks import ModelCheckpoint, EarlyStopping
from keras.optimizers import SGD

batch_size = 16
nb_classes = 4

X_train = np.random.random((64, 16, 16, 3))
Y_train = np.eye(nb_classes)[np.random.randint(nb_classes, size=64)]

model = Sequential()
model.add(Convolution2D(8, 3, 3, border_mode='same', input_shape=(16, 16, 3)))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Flatten())
model.add(Dense(nb_classes, activation='softmax'))

sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics=['accuracy'])

datagen = ImageDataGenerator(
    rotation_range=10,
    width_shift_range=0.1,
    height_shift_range=0.1,
    horizontal_flip=True)
datagen.fit(X_train)

checkpointer = ModelCheckpoint('weights.{epoch:02d}.hdf5', monitor='val_acc',
                               save_best_only=True, period=2)
stopper = EarlyStopping(monitor='val_acc', patience=3)

model.fit_generator(datagen.flow(X_train, Y_train, batch_size=batch_size),
                    samples_per_epoch=X_train.shape[0],
                    nb_epoch=1,
                    validation_data=datagen.flow(X_train, Y_train, batch_size=batch_size),
                    nb_val_samples=32,
                    callbacks=[checkpointer, stopper],
                    nb_worker=4, pickle_safe=True, max_q_size=10)

score = model.evaluate_generator(datagen.flow(X_train, Y_train, batch_size=8), val_samples=32)
print(score)
model.save('cifar_model')
model = load_model('cifar_model')
