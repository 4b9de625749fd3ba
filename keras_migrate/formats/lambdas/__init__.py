"""Legacy ``Lambda`` layers recovered as IR op nodes without running their code.

- :mod:`.stored`: decode the config forms (Keras 1 ``raw_unicode_escape``, Keras 2 /
  tf.keras base64 with defaults and closure, functions stored by name, ``arguments``).
- :mod:`.bytecode`: read the marshalled code object of CPython 2.7 / 3.4-3.12 with ``xdis``,
  telling the version from the data.
- :mod:`.symbolic`: evaluate the instructions over IR values against the allowlist.
- :mod:`.rule`: the ``Lambda`` rule of every rule set and the expansion pass.
"""

from __future__ import annotations

from keras_migrate.formats.lambdas.rule import (
    LAMBDA_TYPE,
    LAMBDA_WAY_OUT,
    RECOVERED_KEY,
    expand_lambdas,
    recover,
    recovered_lambdas,
)

__all__ = ["LAMBDA_TYPE", "LAMBDA_WAY_OUT", "RECOVERED_KEY", "expand_lambdas", "recover", "recovered_lambdas"]
