"""Loading a trained TensorFlow model (TED) without a training step.

Rasa 3.6 builds a loaded model's variables by training it on one example (`RasaModel.load` calls
`fit`), then overwrites them with the saved weights. That single step makes TensorFlow trace the
whole training graph (gradients of every layer) and create the optimiser's state, which the
running assistant never uses: about two thirds of each model's memory and of its load time.
Here the variables are created by computing the loss of that example once, eagerly (no graph,
no gradients, no optimiser state), then the saved weights are read as before. Same weights, same
predictions (tests/bot/test_model_calls.py). A model loaded to be fine-tuned is loaded Rasa's way.

The prediction graph is built as Rasa builds it (one prediction on the example Rasa gives), but
beside the rest of the start rather than before it: TensorFlow traces TED's graph for 3 to 4 s,
during which Rasa can already load its other components, open its server and answer the messages
the rules decide alone (bot/patches/policy_calls.py). A prediction asked before the graph is ready
waits for it. The layers that only prediction uses get their variables while the graph is
traced, read from the saved weights then: those are copied first, as Rasa deletes the unpacked
model once loaded. The copy is removed once the graph is built; one left by a process killed
meanwhile is removed at the next load.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Optional, Text

import tensorflow as tf
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

rasa_load = RasaModel.load.__func__
rasa_run_inference = RasaModel.run_inference
# A copy of the weights is named after its process: rasa-weights-<pid>-<random>.
WEIGHTS_PREFIX = "rasa-weights-"


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
    if not predict_data_example:
        model.load_weights(model_file_name).expect_partial()
        return model
    weights = copy_of_weights(model_file_name)
    # The checkpoint also holds the optimiser's state, which prediction does not need.
    model.load_weights(str(Path(weights) / Path(model_file_name).name)).expect_partial()
    start_building_graph(model, predict_data_example, weights)
    return model


def copy_of_weights(model_file_name: Text) -> str:
    remove_copies_of_stopped_processes()
    weights = tempfile.mkdtemp(prefix=f"{WEIGHTS_PREFIX}{os.getpid()}-")
    for path in glob.glob(f"{model_file_name}*"):
        shutil.copy(path, weights)
    return weights


def remove_copies_of_stopped_processes() -> None:
    for folder in Path(tempfile.gettempdir()).glob(f"{WEIGHTS_PREFIX}*"):
        pid = folder.name[len(WEIGHTS_PREFIX) :].split("-")[0]
        if pid.isdigit() and not process_runs(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def start_building_graph(model: RasaModel, example: RasaModelData, weights: str) -> None:
    def build() -> None:
        try:
            rasa_run_inference(model, example)
        finally:
            shutil.rmtree(weights, ignore_errors=True)

    # Not a daemon: a process that stops meanwhile (a one-message command) waits for the builder
    # instead of cutting TensorFlow off in the middle of a trace.
    builder = threading.Thread(target=build, name=f"{type(model).__name__} graph")
    # Outside Keras' attribute tracking, like the graph itself.
    object.__setattr__(model, "_graph_builder", builder)
    builder.start()


def run_inference_once_built(self: RasaModel, *args: Any, **kwargs: Any):
    builder = self.__dict__.get("_graph_builder")
    if builder is not None and builder is not threading.current_thread():
        builder.join()
    return rasa_run_inference(self, *args, **kwargs)


def install() -> None:
    RasaModel.load = classmethod(load_for_prediction)
    RasaModel.run_inference = run_inference_once_built
