"""Keras 2.0-2.3 and tf.keras HDF5 / JSON / YAML readers: topology, layer rules, weight fix-ups."""
