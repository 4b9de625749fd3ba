# An old Python 2 helper that still imports keras: it cannot be parsed by Python 3,
# so `keras-migrate upgrade` reports it and moves on.
from keras.models import model_from_json

def load(path):
    print "loading", path
    return model_from_json(open(path).read())
