"""Inputs the fuzzer found that crash, exhaust memory or are accepted although hostile.

Each case is a recipe (``python -m fuzz replay 'RECIPE'`` shows it): the mutated file is
rebuilt from the fixtures at test time, then run through the CLI in a forked child under
the harness's limits; a converted ``.keras`` must load in Keras 3. Each failed before the
readers were hardened (issue 16, item 2); each must now convert, or fail with one clean line.
"""

from __future__ import annotations

import pytest

from fuzz.recipe import Recipe
from fuzz.runner import run_one
from fuzz.worker import Limits

# (recipe, what goes wrong today); a converted ``.keras`` is also loaded in Keras 3
CASES = [
    (
        "h5-replace:fixtures/tf-keras-2.21/attention_layers_weights.h5:seed=2140848280:op=dangling:cmd=inspect",
        "dangling soft link in place of a weight: KeyError from h5py escapes",
    ),
    (
        "h5-replace:fixtures/keras-2.2.4/bidirectional_merge_modes.h5:seed=1875789832:op=group:cmd=inspect",
        "a group where a weight dataset belongs: AttributeError",
    ),
    (
        "h5-attr:fixtures/keras-2.0.8/sequential_batch_input_shape_weights.h5:seed=1552684982:attr=weight_names:op=nonutf8",
        "non-UTF-8 bytes in weight_names: UnicodeDecodeError",
    ),
    (
        "h5-link:fixtures/keras-2.0.8/separable_conv.h5:seed=2108418345:kind=vds",
        "a virtual dataset into a file outside the input folder is followed and converted",
    ),
    (
        "cfg-mutate:fixtures/keras-2.0.8/convlstm2d.json:seed=494552682:op=deep:fmt=json:weights=1",
        "a list nested 10^5 deep in the JSON config: RecursionError",
    ),
    (
        "h5-replace:fixtures/keras-2.2.4/conv.h5:seed=1:op=shape",
        "a weight of the wrong shape converts with exit 0; Keras 3 then refuses the .keras",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/stateful_rnn.json:seed=2056616305:op=dupname:fmt=h5attr:weights=1:cmd=inspect",
        "two layers with the same name: ValueError from the IR graph",
    ),
    (
        "zip-mutate:fixtures/tf-keras-2.21/tf_ops_logic.tfk.keras:seed=964326947:op=encrypted:member=config.json",
        "encrypted flag on a .keras member: RuntimeError from zipfile",
    ),
    (
        "ckpt-mutate:fixtures/tf-keras-2.21/advanced_activations.savedmodel:seed=473831136:op=shape-negative",
        "a negative dimension in a checkpoint entry's shape: ProtobufError escapes",
    ),
    (
        "ckpt-mutate:fixtures/tf-keras-2.21/conv1d_transpose.savedmodel:seed=2053498084:op=size",
        "a checkpoint entry declaring a terabyte: read without a size check, MemoryError",
    ),
    (
        "h5-link:fixtures/keras-2.2.4/compiled_adam_trained.h5:seed=1563453603:kind=external",
        "an external link in optimizer_weights (a group no reader reads) converts with exit 0",
    ),
    (
        "h5-bitflip:fixtures/tf-keras-2.21/pooling_channels_first.h5:seed=632610742:n=32:span=0",
        "a corrupt object met while scanning the file's links: SystemError out of h5py's link iteration",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/conv1d_atrous.json:seed=3:op=drop:fmt=json:weights=1",
        "a Keras 1 Convolution1D without nb_filter: KeyError in formats/keras1/weights.py",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/separable_deconv_tf.json:seed=1:op=drop:fmt=json:weights=0",
        "a Keras 1 SeparableConvolution2D without nb_row: KeyError in formats/keras1/layers.py",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/timedistributed.json:seed=677745747:op=typeswap:fmt=json:weights=0",
        "a wrapped layer whose config is a float: TypeError in formats/keras1/layers.py",
    ),
    (
        "cfg-mutate:fixtures/keras-2.0.8/depthwise_conv2d.json:seed=462555110:op=drop:fmt=json:weights=1:cmd=py",
        "an initializer object without 'config': KeyError in formats/schema.py",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/conv3d_tf.json:seed=11:op=typeswap:fmt=json:weights=0",
        "a string inside Keras 1 'subsample': ValueError in ir/config_args.py",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/sequential_merge_first.json:seed=11:op=typeswap:fmt=json:weights=0",
        "'input_dtype' a float: TypeError from numpy in formats/keras1/fresh.py",
    ),
    (
        "cfg-mutate:fixtures/tf-keras-2.21/embedding_plain.json:seed=930042724:op=dupname:fmt=json:weights=0",
        "an architecture without weights: 'invalid IR: ... weights are []', naming no layer",
    ),
    (
        "cfg-mutate:fixtures/keras-2.0.8/convnet_channels_last.json:seed=381666133:op=nan:fmt=h5attr:weights=1",
        "VarianceScaling scale=inf converts with exit 0; Keras 3 then cannot build the layer",
    ),
    (
        "cfg-mutate:fixtures/keras-2.2.4/dense_activations.json:seed=131479807:op=typeswap:fmt=json:weights=1",
        "VarianceScaling mode={} converts with exit 0; Keras 3 then cannot build the layer",
    ),
    (
        "cfg-mutate:fixtures/keras-2.2.4/relu_softmax_layers.json:seed=481139464:op=typeswap:fmt=yaml:weights=0",
        "ReLU max_value an object: TypeError in formats/keras2/layers.py",
    ),
    (
        "cfg-mutate:fixtures/keras-2.0.8/timedistributed.json:seed=10:op=typeswap:fmt=json:weights=0",
        "a wrapper whose 'layer' is a float: AttributeError in formats/keras2/layers.py",
    ),
    (
        "cfg-mutate:fixtures/tf-keras-2.21/hashing_ints.json:seed=1666390716:op=drop:fmt=yaml:weights=1:cmd=onnx",
        "Hashing without num_bins: KeyError in formats/tfkeras/preprocessing.py",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/locally_connected.json:seed=435409118:op=typeswap:fmt=json:weights=0",
        "an object inside Keras 1 'subsample': TypeError in formats/keras1/fresh.py",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/pooling_th.json:seed=1794838310:op=typeswap:fmt=json:weights=1:cmd=inspect",
        "dim_ordering an object: TypeError (unhashable) in formats/keras1/layers.py",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/sequential_merge_first.json:seed=1411129026:op=dupname:fmt=h5attr:weights=1",
        "a Merge branch's layer named like an outer layer: ValueError from the IR graph",
    ),
    (
        "cfg-mutate:fixtures/keras-2.0.8/conv3d_transpose.json:seed=1476880362:op=dupname:fmt=json:weights=1",
        "an initializer config with a 'name' converts with exit 0; Keras 3 then cannot build the layer",
    ),
    (
        "cfg-mutate:fixtures/keras-2.0.8/rnn_return_state.json:seed=1047520058:op=drop:fmt=yaml:weights=0",
        "a node reference past a layer's outputs: IndexError in formats/keras2/topology.py",
    ),
    (
        "cfg-mutate:fixtures/tf-keras-2.21/hashing_strings.json:seed=1535593835:op=typeswap:fmt=h5attr:weights=0",
        "a Hashing salt holding a string: ValueError in formats/tfkeras/preprocessing.py",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/batchnorm_modes.json:seed=995668691:op=nan:fmt=h5attr:weights=1",
        "a Keras 1 BatchNormalization mode of infinity: OverflowError in formats/keras1/layers.py",
    ),
    # Found by the 10,000-input run of 6 December 2026 (seed 20261206)
    (
        "zip-mutate:fixtures/tf-keras-2.21/mha_self_cross.tfk.keras:seed=1092541224:op=dup:member=config.json",
        "a text item in MultiHeadAttention's attention_axes: ValueError from int()",
    ),
    (
        "pb-mutate:fixtures/tf-keras-2.21/convnet_channels_last.tf24.savedmodel:seed=2074909198:file=saved_model.pb:op=byterun",
        "non-UTF-8 Keras metadata in saved_model.pb, read after the decoder's guard: ProtobufError",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/separable_deconv_th.json:seed=883341067:op=typeswap:fmt=json:weights=0",
        "Deconvolution2D nb_filter null, architecture only (fresh weights): TypeError from int()",
    ),
    (
        "cfg-mutate:fixtures/tf-keras-2.21/convnet_channels_last.json:seed=1461546750:op=dupname:fmt=h5attr:weights=1",
        "a layer config without a name, defaulted to its class name, which another layer has: ValueError",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/separable_deconv_th.json:seed=177894428:op=typeswap:fmt=json:weights=1",
        "text in Deconvolution2D's output_shape: ValueError from int()",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/merge_functional_modes.json:seed=1264607739:op=typeswap:fmt=json:weights=1",
        "an object as a Keras 1 Merge's dot_axes: TypeError from int()",
    ),
    (
        "h5-replace:fixtures/tf-keras-2.21/attention_layers_weights.h5:seed=1:op=shape",
        "an AdditiveAttention scale sized off its input converts with exit 0; Keras 3 then refuses the .keras",
    ),
    (
        "cfg-mutate:fixtures/tf-keras-2.21/train_legacy_adamax.json:seed=1838494223:op=nan:fmt=json:weights=1",
        "an input shape changed under a Dense kernel converts with exit 0; Keras 3 then refuses the .keras",
    ),
    (
        "cfg-mutate:fixtures/tf-keras-2.21/integer_lookup_adapted.json:seed=218138213:op=typeswap:fmt=json:weights=1:cmd=inspect",
        "IntegerLookup num_oov_indices null: TypeError in formats/tfkeras/preprocessing.py",
    ),
    (
        "h5-bitflip:fixtures/keras-2.2.4/masking_embedding_lstm.h5:seed=899843441:n=1:span=4096",
        "a bit flip renames VarianceScaling's 'scale' to 'scald': converts with exit 0; Keras 3 then cannot build it",
    ),
    (
        "cfg-mutate:fixtures/keras-2.2.4/upsampling2d_bilinear.json:seed=1572181256:op=typeswap:fmt=json:weights=1",
        "UpSampling2D size [null, 2]: converts with exit 0; the bilinear compat layer then cannot load",
    ),
    (
        "cfg-mutate:fixtures/tf-keras-2.21/train_legacy_adamax.json:seed=1599118937:op=typeswap:fmt=h5attr:weights=0",
        "an input shape (None, None) under a Dense: converts with exit 0; Keras 3 cannot build the kernel",
    ),
    (
        "h5-replace:fixtures/keras-1.2.2-theano/theano_same_pooling.h5:seed=571183071:op=scalar",
        "a scalar in place of a Keras 1 Convolution2D kernel: IndexError in the kernel re-layout",
    ),
    (
        "cfg-mutate:fixtures/tf-keras-2.21/convnet_channels_last.json:seed=1586278047:op=dupname:fmt=json:weights=1",
        "a layer without a name, named after its class like another layer: ValueError from the IR graph",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/train_multi_output.json:seed=1277509998:op=typeswap:fmt=json:weights=0",
        "activity_regularizer 'oops': converts with exit 0; Keras 3 then cannot interpret it",
    ),
    # Found by the final 10,000-input run (seed 1) of 6 December 2026
    (
        "cfg-mutate:fixtures/keras-1.2.2-theano/theano_same_deconv.json:seed=237390676:op=typeswap:fmt=json:weights=1",
        "Keras 1 Deconvolution2D subsample null: TypeError in the rule",
    ),
    (
        "cfg-mutate:fixtures/keras-1.2.2/batchnorm_modes.json:seed=958575579:op=typeswap:fmt=json:weights=1",
        "Keras 1 BatchNormalization epsilon null: TypeError from float()",
    ),
    (
        "cfg-mutate:fixtures/keras-2.0.8/embedding_plain.json:seed=1726167058:op=typeswap:fmt=h5attr:weights=0",
        "VarianceScaling distribution null: converts with exit 0; Keras 3 then cannot build it",
    ),
    (
        "cfg-mutate:fixtures/tf-keras-2.21/rnn_single_cell_list.json:seed=1297059512:op=drop:fmt=json:weights=0",
        "an RNN cell in a list without its class_name: KeyError (found by make fuzz, seed 7, session 6)",
    ),
    (
        "h5-replace:fixtures/tf-keras-2.21/locally_connected_implementations_weights.h5:seed=525437461:op=scalar",
        "a scalar where a LocallyConnected implementation-3 kernel belongs: IndexError (seed 7, session 6)",
    ),
]

_LIMITS = Limits(memory_mb=2048, timeout=20.0)


@pytest.mark.parametrize(
    ("recipe", "problem"),
    [pytest.param(r, p, id=r.split(":")[0] + ":" + p[:40]) for r, p in CASES],
)
def test_fuzz_regression(recipe: str, problem: str) -> None:
    result = run_one(Recipe.parse(recipe), _LIMITS, load_rate=1.0)
    assert not result.failing, (
        f"{problem}\n{result.klass} {', '.join(result.violations)} {result.cause}\n{result.stderr_tail}"
    )
