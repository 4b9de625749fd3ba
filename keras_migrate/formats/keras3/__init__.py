"""Keras 3 and tf_keras ``.keras`` archives, and Keras 3 op nodes."""
