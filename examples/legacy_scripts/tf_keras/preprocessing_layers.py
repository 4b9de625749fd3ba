"""Image classification with preprocessing layers (tf.keras 2.3-2.5 era).

Uses the then-experimental preprocessing layers, an InputLayer, ThresholdedReLU and
SyncBatchNormalization, and saves in the TF SavedModel format.
"""
import numpy as np
import tensorflow as tf
from tensorflow.keras.layers.experimental import preprocessing
from tensorflow.keras.layers.experimental.preprocessing import RandomFlip
from tensorflow.keras import layers, models, callbacks

model = models.Sequential([
    layers.InputLayer(input_shape=(16, 16, 3)),
    preprocessing.Rescaling(1.0 / 255),
    RandomFlip("horizontal"),
    layers.Conv2D(8, 3, activation="relu"),
    tf.keras.layers.experimental.SyncBatchNormalization(),
    layers.ThresholdedReLU(theta=0.5),
    layers.GlobalAveragePooling2D(),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer=tf.keras.optimizers.RMSprop(lr=1e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
ckpt = callbacks.ModelCheckpoint("best_model", save_best_only=True, monitor="loss")
images = np.random.randint(0, 255, size=(24, 16, 16, 3)).astype("float32")
labels = np.random.randint(3, size=(24,))
model.fit(images, labels, epochs=1, batch_size=8, callbacks=[ckpt])
model.save("flowers_model", save_format="tf")
