"""A keras.utils.Sequence serving seeded image batches (the Keras 2 generator idiom)."""
import numpy as np
from keras.utils import Sequence, np_utils


class ShapesSequence(Sequence):
    """Random 8x8 images labelled by their mean brightness."""

    def __init__(self, n, batch_size, seed):
        rng = np.random.RandomState(seed)
        self.x = rng.rand(n, 8, 8, 1).astype('float32')
        labels = np.digitize(self.x.mean(axis=(1, 2, 3)), [0.48, 0.52])
        self.y = np_utils.to_categorical(labels, 3)
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        sl = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.x[sl], self.y[sl]


def image_batches(x, y, batch_size):
    """The plain-generator form older scripts used with fit_generator."""
    while True:
        for start in range(0, len(x), batch_size):
            yield x[start:start + batch_size], y[start:start + batch_size]
