"""TensorFlow containers read without TensorFlow: protobuf wire format, tensor bundles, checkpoints, SavedModels."""
