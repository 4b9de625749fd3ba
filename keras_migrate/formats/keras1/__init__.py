"""Keras 1.x readers: topology, layer rules, weights, Theano fix-ups."""
