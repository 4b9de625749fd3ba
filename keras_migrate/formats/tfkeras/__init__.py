"""tf.keras-only layer rules: TF-op layers, attention, preprocessing."""
