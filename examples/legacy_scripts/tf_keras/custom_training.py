"""Customising Model.train_step in tf.keras (TF 2.4+), with tf.data input.

The GradientTape-based train_step is TensorFlow-only; the upgrade keeps it and marks it.
"""
import numpy as np
import tensorflow as tf


class CustomModel(tf.keras.Model):
    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.compiled_metrics.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


inputs = tf.keras.Input(shape=(4,))
outputs = tf.keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(optimizer=tf.keras.optimizers.legacy.SGD(lr=0.01), loss="mse", metrics=["mae"])

dataset = tf.data.Dataset.from_tensor_slices(
    (np.random.random((32, 4)).astype("float32"), np.random.random((32, 1)).astype("float32"))
).batch(8)
model.fit(dataset, epochs=1)
model.save("custom_model")
restored = tf.keras.models.load_model("exported/serving_model")
model.save_weights("checkpoints/ckpt")
