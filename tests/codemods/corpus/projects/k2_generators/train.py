"""fit_generator on a Sequence with callbacks, then the generator evaluation helpers."""
import numpy as np
from keras.callbacks import LearningRateScheduler

from callbacks import EpochHistory, step_decay
from data import ShapesSequence, image_batches
from model import build_model
from optim import NesterovSGD


def seed_weights(model, seed):
    rng = np.random.RandomState(seed)
    weights = []
    for w in model.get_weights():
        if w.ndim > 1:
            weights.append(rng.normal(0, 0.3 / np.sqrt(np.prod(w.shape[:-1])), w.shape))
        else:
            weights.append(rng.uniform(0.8, 1.2, w.shape))
    model.set_weights([w.astype('float32') for w in weights])


def run():
    train_seq = ShapesSequence(32, 8, seed=0)
    val_seq = ShapesSequence(16, 8, seed=1)
    model = build_model()
    seed_weights(model, 2)
    model.compile(optimizer=NesterovSGD(lr=0.01), loss='categorical_crossentropy',
                  metrics=['accuracy'])
    history_cb = EpochHistory()
    hist = model.fit_generator(train_seq, steps_per_epoch=len(train_seq), epochs=2,
                               callbacks=[history_cb, LearningRateScheduler(step_decay)],
                               workers=1, use_multiprocessing=False, shuffle=False,
                               verbose=0)
    val_loss = model.evaluate_generator(val_seq, steps=len(val_seq), workers=1)
    preds = model.predict_generator(val_seq, steps=len(val_seq))
    more = model.fit_generator(image_batches(train_seq.x, train_seq.y, 8),
                               steps_per_epoch=4, epochs=1, max_queue_size=4, verbose=0)
    classes = model.predict_classes(val_seq.x, batch_size=8)
    return {
        'epoch_loss': np.array(hist.history['loss']),
        'callback_loss': np.array(history_cb.losses),
        'lrs': np.array(history_cb.lrs),
        'val_loss': np.array(val_loss),
        'preds': preds,
        'more_loss': np.array(more.history['loss']),
        'classes': classes,
    }


if __name__ == '__main__':
    print(run())
