"""Loading a trained TensorFlow model (TED) without a training step.

Rasa 3.6 builds a loaded model's variables by training it on one example (`RasaModel.load` calls
`fit`), then overwrites them with the saved weights. That single step makes TensorFlow trace the
whole training graph (gradients of every layer) and create the optimiser's state, which the
running assistant never uses: about two thirds of each model's memory and of its load time.
Here the variables are created by computing the loss of that example once, eagerly (no graph,
no gradients, no optimiser state), then the saved weights are read as before; the prediction graph
is built as Rasa builds it. Same weights, same predictions (tests/test_model_calls.py).
A model loaded to be fine-tuned is loaded Rasa's way.
"""

from __future__ import annotations

from typing import Any, Optional, Text

import tensorflow as tf
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

rasa_load = RasaModel.load.__func__


def load_for_prediction(
    cls,
    model_file_name: Text,
    model_data_example: RasaModelData,
    predict_data_example: Optional[RasaModelData] = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    if finetune_mode:
        return rasa_load(cls, model_file_name, model_data_example, predict_data_example, finetune_mode, *args, **kwargs)
    model = cls(*args, **kwargs)
    model.compile(run_eagerly=kwargs.get("config", {}).get("run_eagerly"))
    example_batch, _ = RasaBatchDataGenerator(model_data_example, batch_size=1)[0]
    model._training = True  # the training-time layers (label embeddings, losses) own variables too
    model.batch_loss(tuple(tf.convert_to_tensor(part) for part in example_batch))
    model._training = False
    # The checkpoint also holds the optimiser's state, which prediction does not need.
    model.load_weights(model_file_name).expect_partial()
    if predict_data_example:
        model.run_inference(predict_data_example)
    return model


def install() -> None:
    RasaModel.load = classmethod(load_for_prediction)
