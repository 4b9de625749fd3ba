"""Training state readers: compile configuration and optimizer state, from every stored form.

``optimizers`` translates legacy optimizers (and lists their slot layouts), ``compile_args``
losses and metrics, ``state`` files positional slots under the converted weights,
``assemble`` puts a :class:`~keras_migrate.ir.training.TrainingState` together, and ``h5``,
``keras_zip`` and ``checkpoint`` read what each form stores.
"""

from __future__ import annotations

__all__: list[str] = []
