"""Keras 3 optimizers with the update rules of Keras 1/2 and tf.keras where Keras 3's differ.

Each subclasses the Keras 3 optimizer of the same algorithm, so it creates the same
variables in the same order (a converted ``.keras`` file's ``optimizer/vars`` load into it
unchanged), and overrides only the step, written with ``keras.ops`` (any backend):

* :class:`Keras2RMSprop`: ``p -= lr * g / (sqrt(v) + epsilon)`` (Keras 1/2, and
  ``tf.keras.optimizers.legacy.RMSprop`` without momentum), where Keras 3 divides by
  ``sqrt(v + epsilon)``;
* :class:`Keras2Adagrad`: ``p -= lr * g / (sqrt(a) + epsilon)`` (Keras 1/2 and
  ``legacy.Adagrad``), where Keras 3 divides by ``sqrt(a + epsilon)``;
* :class:`Keras2Nadam`: the momentum schedule ``beta_1 * (1 - 0.5 * 0.96 ** (t *
  schedule_decay))`` (Keras 1/2 ``schedule_decay``, ``legacy.Nadam`` fixed 0.004), where
  Keras 3 uses ``0.96 ** t``.

Registered as serializable under the ``keras_migrate`` package on import (see
:func:`keras_migrate.compat.register`), so ``keras.saving.load_model`` finds them.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_migrate.compat._names import PACKAGE

__all__ = ["Keras2Adagrad", "Keras2Nadam", "Keras2RMSprop"]


@keras.saving.register_keras_serializable(package=PACKAGE)
class Keras2RMSprop(keras.optimizers.RMSprop):
    """RMSprop with epsilon added outside the square root (no momentum), as Keras 1/2."""

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, epsilon: float = 1e-7,
                 centered: bool = False, name: str = "keras2_rmsprop", **kwargs: Any) -> None:
        kwargs.pop("momentum", None)
        super().__init__(learning_rate=learning_rate, rho=rho, momentum=0.0, epsilon=epsilon,
                         centered=centered, name=name, **kwargs)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        index = self._get_variable_index(variable)
        velocity = self._velocities[index]
        self.assign(velocity, ops.add(ops.multiply(self.rho, velocity),
                                      ops.multiply(1 - self.rho, ops.square(gradient))))
        denominator = velocity
        if self.centered:
            average = self._average_gradients[index]
            self.assign(average, ops.add(ops.multiply(self.rho, average), ops.multiply(1 - self.rho, gradient)))
            denominator = velocity - ops.square(average)
        self.assign_sub(variable, ops.divide(ops.multiply(lr, gradient),
                                             ops.add(ops.sqrt(denominator), self.epsilon)))

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.pop("momentum", None)
        return config


@keras.saving.register_keras_serializable(package=PACKAGE)
class Keras2Adagrad(keras.optimizers.Adagrad):
    """Adagrad with epsilon added outside the square root, as Keras 1/2 and OptimizerV2."""

    def __init__(self, learning_rate: Any = 0.01, initial_accumulator_value: float = 0.0,
                 epsilon: float = 1e-7, name: str = "keras2_adagrad", **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, initial_accumulator_value=initial_accumulator_value,
                         epsilon=epsilon, name=name, **kwargs)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        self.assign_add(accumulator, ops.square(gradient))
        self.assign_sub(variable, ops.divide(ops.multiply(lr, gradient),
                                             ops.add(ops.sqrt(accumulator), self.epsilon)))


@keras.saving.register_keras_serializable(package=PACKAGE)
class Keras2Nadam(keras.optimizers.Nadam):
    """Nadam with Keras 1/2's momentum schedule ``0.96 ** (t * schedule_decay)``."""

    def __init__(self, learning_rate: Any = 0.002, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, schedule_decay: float = 0.004, name: str = "keras2_nadam",
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, name=name,
                         **kwargs)
        self.schedule_decay = schedule_decay

    def _mu(self, step: Any, dtype: Any) -> Any:
        decay = ops.cast(0.96, dtype)
        return ops.cast(self.beta_1, dtype) * (1.0 - 0.5 * ops.power(decay, step * self.schedule_decay))

    def _backend_update_step(self, grads: Any, trainable_variables: Any, learning_rate: Any) -> None:
        dtype = self._u_product.dtype
        self.assign(self._u_product, self._u_product * self._mu(ops.cast(self.iterations + 1, dtype), dtype))
        # Skip Nadam's own (it would multiply in Keras 3's schedule factor too).
        super(keras.optimizers.Nadam, self)._backend_update_step(grads, trainable_variables, learning_rate)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        local_step = ops.cast(self.iterations + 1, dtype)
        next_step = ops.cast(self.iterations + 2, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        u_t = self._mu(local_step, dtype)
        u_t_1 = self._mu(next_step, dtype)
        u_product_t = ops.cast(self._u_product, dtype)
        u_product_t_1 = u_product_t * u_t_1
        index = self._get_variable_index(variable)
        m = self._momentums[index]
        v = self._velocities[index]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - beta_2))
        m_hat = ops.add(ops.divide(ops.multiply(u_t_1, m), 1 - u_product_t_1),
                        ops.divide(ops.multiply(1 - u_t, gradient), 1 - u_product_t))
        v_hat = ops.divide(v, 1 - ops.power(beta_2, local_step))
        self.assign_sub(variable, ops.divide(ops.multiply(m_hat, lr), ops.add(ops.sqrt(v_hat), self.epsilon)))

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config["schedule_decay"] = self.schedule_decay
        return config
