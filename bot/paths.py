"""The former name of orientation.paths, still imported by devtools/evaluate.py: the paths themselves
live in orientation/paths.py only."""

from orientation.paths import MODEL_PATH, PROJECT_ROOT, VENV_BIN

__all__ = ["MODEL_PATH", "PROJECT_ROOT", "VENV_BIN"]
