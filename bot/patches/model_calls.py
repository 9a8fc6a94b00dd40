"""Cheaper calls into the trained TensorFlow model (TED, the dialogue policy).

Rasa 3.6 runs every prediction through a `tf.function` with a fixed input signature, and at each
call TensorFlow matches the inputs against that signature again and looks the graph up in its
cache. TED has many inputs and is called two to four times per message, so this bookkeeping costs
more than a millisecond per call. The graph never changes once built: after the first call (where
Rasa builds it as usual) its concrete function is called directly. Same graph, same inputs, same
outputs (tests/bot/test_model_calls.py).

Installed by bot.patches.install().
"""

from __future__ import annotations

from typing import Any, Dict, Text

import tensorflow as tf
from keras.utils import tf_utils
from rasa.shared.constants import DIAGNOSTIC_DATA
from rasa.utils.tensorflow.models import RasaModel

rasa_predict = RasaModel._rasa_predict


def predict_with_built_graph(self: RasaModel, batch_in) -> Dict[Text, Any]:
    if self._run_eagerly or self._tf_predict_step is None:
        return rasa_predict(self, batch_in)
    concrete = self.__dict__.get("_concrete_predict_step")
    if concrete is None:
        concrete = self._tf_predict_step.get_concrete_function()
        # Stored outside Keras' attribute tracking: it is not part of the model's weights.
        object.__setattr__(self, "_concrete_predict_step", concrete)
    outputs = tf_utils.sync_to_numpy_or_python_type(concrete([tf.convert_to_tensor(x) for x in batch_in]))
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs


def install() -> None:
    RasaModel._rasa_predict = predict_with_built_graph
