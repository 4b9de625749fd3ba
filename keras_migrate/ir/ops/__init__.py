"""The tables that give each IR op its meaning, one table per fact.

An IR layer whose type is an operation rather than a Keras layer (a Keras 3 op node
``keras.ops>Sum``, a tf.keras TF function ``keras_migrate>TFOp``) is defined here once:
which ops exist, their signatures, how a call binds its arguments, their dtype rules and
what they compute. Every package reads these tables instead of keeping its own copy: the
readers (``formats``) accept only the ops listed, the numpy kernels and the Keras 3 compat
layers compute the meaning written here (against numpy and ``keras.ops``), the ONNX
lowerings are keyed by the same op names, and the codemods take TF signatures (and Keras 1
argument renames) from here.

Framework-free (numpy at most), so the CLI and every layer above ``ir`` may import it.

- :mod:`.keras3`: the accepted Keras 3 op nodes, their call binding and Keras 3's dtype
  promotion rules.
- :mod:`.tf`: the TF functions a ``TFOp`` layer runs: signatures, call binding, dtype
  rules, output counts.
- :mod:`.tf_semantics`: what each canonical TF op computes against an array namespace with
  ``keras.ops``' names, derived from :mod:`.legacy`'s ``tf.*`` entries (a few hand-written
  helpers where a template cannot say it).
- :mod:`.attention`: the einsum layout of dot-product attention and the attention layer
  types.
- :mod:`.keras1_args`: the Keras 1 -> Keras 2 argument renames, shared by the Keras 1
  reader and the ``keras1-layers`` codemod.
- :mod:`.tf_resize`: TensorFlow's image resizing as interpolation matrices, shared by the
  numpy kernel and the ``TFResizing`` compat layer.
- :mod:`.augment`: tf.keras' image augmentation layers at inference, and the compat
  types of those Keras 3 computes differently (RandomCrop) or lacks (RandomHeight/Width).
- :mod:`.keras3_names`: Keras 3's public modules and names, so the codemods never rename
  to a ``keras.*`` name that does not exist.
- :mod:`.legacy`: the one table of legacy-op semantics: what each ``keras.backend``
  function and each ``tf.*`` function the codemods meet means as a ``keras.ops``
  expression (with the conditions under which that is exact), or the follow-up text;
  read by the codemods, Lambda recovery and the evaluator.
"""

__all__: list[str] = []
