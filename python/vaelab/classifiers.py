"""Attribute classifiers: small CNNs that read named binary attributes off images of faces.

One sigmoid per attribute (multi-label: a face may smile and wear a hat), trained with
binary cross-entropy on CelebA's +1 / -1 labels. A classifier serves two roles, and the
faces need one of each, trained separately:

* the perceptual model of the faces' DFC VAE (its convolutions are named ``conv1`` ...,
  as the MNIST digit classifier's are), and
* the evaluator that measures what a VAE's reconstructions and attribute edits show.

The evaluator must not be the perceptual model, nor a copy of it trained alike: the DFC VAE
is trained to reproduce the perceptual model's features, so its images can satisfy that
network while showing less to any other, and measured by it they would look better than
they are. A different `width` and `seed` give an independently trained second opinion.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from keras import layers

from .attributes import as_attribute_table
from .checks import as_images, positive_int
from .faces import FACE_ATTRIBUTES
from .inference import model_images, predict_in_chunks
from .models import as_image_shape, set_seed
from .output import keras_verbose

# Each attribute's sigmoid is a layer of its own, named with this prefix and the attribute,
# so the names travel with the model (saved, loaded, cloned) and no list has to follow it.
HEAD_PREFIX = "p_"
# The convolutions, named as the MNIST classifier's are; each is followed by max pooling,
# and each is `width` times this many filters wide.
CONV_WIDTHS = {"conv1": 1, "conv2": 2, "conv3": 4, "conv4": 4}


def build_attribute_classifier(input_shape=(64, 64, 3), attributes=FACE_ATTRIBUTES,
                               width: int = 16, seed: int | None = None,
                               name: str = "attribute_classifier") -> keras.Model:
    """A CNN giving P(attribute) for each name in `attributes`, from images `input_shape`.

    Four 3 x 3 convolutions ``conv1`` ... ``conv4`` (`width`, 2, 4 and 4 times `width`
    filters, ReLU), each followed by 2 x 2 max pooling, then global average pooling and one
    sigmoid per attribute (layers ``p_<attribute>``, joined as ``probabilities``). Returned
    untrained, compiled with Adam, binary cross-entropy and binary accuracy. Height and
    width must be multiples of 16 (four poolings). Build the evaluator of attribute edits
    with another `width` and `seed` than the perceptual model (see :mod:`vaelab.classifiers`).

    Example:
        >>> clf = build_attribute_classifier(seed=1)
        >>> clf.output_shape
        (None, 6)
        >>> attribute_names(clf)[:2]
        ['Smiling', 'Mouth_Slightly_Open']
    """
    input_shape = as_image_shape(input_shape)
    names = _attribute_names(attributes)
    width = positive_int(width, "width")
    set_seed(seed)
    x = keras.Input(shape=input_shape, name="image")
    h = x
    for layer, factor in CONV_WIDTHS.items():
        h = layers.Conv2D(width * factor, 3, padding="same", activation="relu", name=layer)(h)
        h = layers.MaxPooling2D(name=f"pool{layer[-1]}")(h)
    h = layers.GlobalAveragePooling2D(name="features")(h)
    heads = [layers.Dense(1, activation="sigmoid", name=HEAD_PREFIX + a)(h) for a in names]
    probs = heads[0] if len(heads) == 1 else layers.Concatenate(name="probabilities")(heads)
    model = keras.Model(x, probs, name=name)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=[keras.metrics.BinaryAccuracy(name="binary_accuracy")])
    return model


def attribute_names(classifier) -> list:
    """The attributes a classifier of :func:`build_attribute_classifier` gives, in order.

    Example:
        >>> attribute_names(build_attribute_classifier(attributes=["Smiling"]))
        ['Smiling']
    """
    heads = [layer.name for layer in _outputs_layers(classifier)]
    if not heads or not all(n.startswith(HEAD_PREFIX) for n in heads):
        raise ValueError(
            f"classifier: model {getattr(classifier, 'name', classifier)!r} is not an "
            "attribute classifier (its outputs are not p_<attribute> layers); expected one "
            "from build_attribute_classifier() or load_pretrained('faces_classifier')")
    return [n[len(HEAD_PREFIX):] for n in heads]


def train_attribute_classifier(images, attributes, epochs: int = 5, batch_size: int = 64,
                               validation_data=None, model: keras.Model | None = None,
                               width: int = 16, seed: int | None = None,
                               verbose="auto") -> keras.Model:
    """Train (a new, or the given) attribute classifier on `images` and their +1/-1 labels.

    `attributes` is a table with one row per image and one column per attribute, +1 where
    the image has it and -1 where it does not (CelebA's coding, as
    :func:`vaelab.synthetic_faces` and :func:`vaelab.load_celeba` give it): a DataFrame
    (or a dict of columns) whose column names are the attributes, or an array whose columns
    follow the model's attributes (a new model's are :data:`vaelab.faces.FACE_ATTRIBUTES`).
    A new model takes its image shape from `images`, its attributes from the table's, and
    `width` and `seed` as :func:`build_attribute_classifier`. `validation_data` is a pair
    ``(images, attributes)``.

    Example:
        >>> x, a = synthetic_faces(2000, seed=1)  # doctest: +SKIP
        >>> clf = train_attribute_classifier(x, a, epochs=2, seed=1)  # doctest: +SKIP
    """
    x = as_images(images, shape=None if model is None else _input_shape(model))
    if model is None:
        names = (list(as_attribute_table(attributes).columns)
                 if isinstance(attributes, (pd.DataFrame, dict)) else list(FACE_ATTRIBUTES))
        model = build_attribute_classifier(x.shape[1:], names, width=width, seed=seed)
    y = _targets(attributes, model, x.shape[0], "attributes")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data: expected a pair (images, attributes)")
        vx = as_images(validation_data[0], "validation_data images", shape=x.shape[1:])
        validation_data = (vx, _targets(validation_data[1], model, vx.shape[0],
                                        "validation_data attributes"))
    model.fit(x, y, epochs=positive_int(epochs, "epochs"),
              batch_size=positive_int(batch_size, "batch_size"),
              validation_data=validation_data, verbose=keras_verbose(verbose))
    return model


def attribute_probabilities(classifier, images) -> pd.DataFrame:
    """P(attribute) for every image: a DataFrame, one row per image, one column per attribute.

    Example:
        >>> p = attribute_probabilities(load_pretrained("faces_evaluator"), x)  # doctest: +SKIP
        >>> (p["Smiling"] > 0.5).mean()  # doctest: +SKIP
    """
    names = attribute_names(classifier)
    x = model_images(classifier, images)
    probs = predict_in_chunks(classifier, x).reshape(x.shape[0], len(names))
    return pd.DataFrame(probs.astype(np.float64), columns=names)


def attribute_accuracy(classifier, images, attributes) -> dict:
    """How often `classifier` reads each attribute right (P > 0.5 where the label is +1):
    ``{attribute: accuracy}`` for the classifier's attributes, ``"mean"`` last.

    `attributes` as in :func:`train_attribute_classifier`. Measured on reconstructions with
    the originals' labels, it says how much of each attribute a VAE keeps.

    Example (the shipped evaluator on the shipped models' test faces):
        >>> x, a = synthetic_faces(2000, seed=20161003)  # doctest: +SKIP
        >>> evaluator = load_pretrained("faces_evaluator")  # doctest: +SKIP
        >>> attribute_accuracy(evaluator, x, a)["Smiling"]  # doctest: +SKIP
        0.9995
    """
    probs = attribute_probabilities(classifier, images)
    y = _targets(attributes, classifier, len(probs), "attributes")
    correct = (probs.to_numpy() > 0.5) == (y > 0.5)
    accuracy = {name: float(c) for name, c in zip(probs.columns, correct.mean(axis=0))}
    return {**accuracy, "mean": float(correct.mean())}


def _targets(attributes, model, n, name) -> np.ndarray:
    """The +1/-1 table `attributes`, in the model's attribute order, as 0/1 float32 targets."""
    table = as_attribute_table(attributes, n=n, names=attribute_names(model), name=name)
    return (table.to_numpy() > 0).astype(np.float32)


def _attribute_names(attributes) -> list:
    names = [attributes] if isinstance(attributes, str) else list(attributes)
    if not names or not all(isinstance(a, str) and a and "/" not in a for a in names) \
            or len(set(names)) != len(names):
        raise ValueError(f"attributes: expected distinct non-empty names (without '/'), e.g. "
                         f"{list(FACE_ATTRIBUTES[:2])}, got {attributes!r}")
    return names


def _outputs_layers(model) -> list:
    """The layers whose outputs the model's output joins (or the one that makes it)."""
    if not isinstance(model, keras.Model):
        return []
    last = model.outputs[0]._keras_history.operation
    if isinstance(last, layers.Concatenate):
        return [t._keras_history.operation for t in last.input]
    return [last]


def _input_shape(model) -> tuple:
    return tuple(model.inputs[0].shape[1:])
