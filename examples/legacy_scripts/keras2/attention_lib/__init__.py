"""A small attention library in the style of the Keras 2 era (keras-self-attention,
keras-bert): one module picks the backend module, the others import it from there."""
