# ruff: noqa  (runs under Python 2.7 too: old-style code on purpose)
"""Marshal the test lambdas with the Python running this script (2.7 or 3.x), as legacy
Keras' ``func_dump`` stored them: base64 of ``marshal.dumps(fn.__code__)``.

Run once per installed CPython (the output is committed as ``bytecode.json``)::

    for v in 2.7 3.6 3.7 3.8 3.9 3.10 3.11 3.12; do python$v make_bytecode.py; done

Only the lambdas' *source* here is compiled, by the generating Python, exactly as a user's
Keras script did; keras-migrate itself never runs the stored bytecode.
"""
from __future__ import print_function

import base64
import json
import marshal
import os
import sys

SOURCES = [
    "lambda x: x / 127.5 - 1.0",
    "lambda x: K.sum(x, axis=-1, keepdims=True)",
    "lambda x: x[:, 1:3]",
    "lambda x: K.concatenate([x[0], x[1]], axis=-1)",
    "lambda x: 0.5 * K.sum(K.square(K.sum(x, axis=1)) - K.sum(K.square(x), axis=1), axis=1, keepdims=True)",
    "lambda x: K.l2_normalize(x, axis=-1)",
    "lambda x, a=2.0: -x ** 2 + a * K.abs(x)",
    "lambda x: tf.reduce_mean(x, axis=[1, 2])",
    "lambda x: K.expand_dims(x[..., 0], -1)",
    "lambda x: tf.nn.space_to_depth(x, 2)",
    "lambda x: print(x) or x" if sys.version_info[0] >= 3 else "lambda x: len(x) and x",
    "lambda x: open('/tmp/keras_migrate_pwned', 'w') and x",
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "bytecode.json")
    data = {}
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
    version = "%d.%d" % sys.version_info[:2]
    entry = {}
    for i, source in enumerate(SOURCES):
        fn = eval(source, {})  # our own test source, compiled by the generating Python
        code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
        entry[str(i)] = {"source": source, "code": code, "defaults": list(fn.__defaults__ or [])}
    data[version] = entry
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
