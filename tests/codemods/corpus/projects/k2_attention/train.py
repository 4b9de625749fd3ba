"""Train a small attention classifier for a few steps on seeded data."""
import numpy as np

from keras.layers import Input, Dense, Embedding
from keras.models import Model
from keras.optimizers import SGD
from keras.utils.np_utils import to_categorical

from att_layers import AttentionPooling, ScaledSelfAttention, L2Norm
from losses import focal_loss, top1, mean_confidence


def seed_weights(model, seed):
    """Deterministic weights so runs can be compared."""
    rng = np.random.RandomState(seed)
    weights = []
    for w in model.get_weights():
        if w.ndim > 1:
            weights.append(rng.normal(0, 1.0 / np.sqrt(w.shape[-2]), w.shape))
        else:
            weights.append(rng.uniform(0.1, 0.5, w.shape))
    model.set_weights([w.astype('float32') for w in weights])


def build_model(vocab=20, steps=6):
    tokens = Input(shape=(steps,), dtype='int32')
    x = Embedding(input_dim=vocab, output_dim=8)(tokens)
    x = ScaledSelfAttention()(x)
    x = AttentionPooling(units=4)(x)
    x = L2Norm()(x)
    out = Dense(3, activation='softmax')(x)
    return Model(inputs=tokens, outputs=out)


def run():
    rng = np.random.RandomState(0)
    x = rng.randint(0, 20, size=(16, 6)).astype('int32')
    y = to_categorical(rng.randint(0, 3, size=16), 3)
    model = build_model()
    seed_weights(model, 1)
    before = model.predict(x, batch_size=16)
    model.compile(optimizer=SGD(lr=0.1, momentum=0.9), loss=focal_loss(2.0),
                  metrics=[top1, mean_confidence])
    steps = [model.train_on_batch(x, y) for _ in range(3)]
    after = model.predict(x, batch_size=16)
    return {'before': before, 'train_loss': np.array([s[0] for s in steps]), 'after': after}


if __name__ == '__main__':
    print(run())
