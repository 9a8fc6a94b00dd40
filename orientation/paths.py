"""Where the project's files are. The only place that knows the layout of the repository.

Standard library only: every process imports it, the action server too, which must not load Rasa.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The Python that runs this process: its folder holds rasa, supervisord and the other console scripts.
VENV_BIN = Path(sys.executable).parent

MODEL_PATH = PROJECT_ROOT / "models" / "assistant.tar.gz"
DOMAIN_PATH = PROJECT_ROOT / "domain.yml"
CREDENTIALS_PATH = PROJECT_ROOT / "credentials.yml"
ENDPOINTS_PATH = PROJECT_ROOT / "endpoints.yml"
SCALE_OUT_ENDPOINTS = PROJECT_ROOT / "deploy" / "endpoints.yml"
SCHOOL_SETTINGS_PATH = PROJECT_ROOT / "school.yml"
PROCFILE = PROJECT_ROOT / "Procfile"

TRAINING_DATA_DIR = PROJECT_ROOT / "data"
DATA_DIR = PROJECT_ROOT / "orientation" / "data"
FORMATIONS_DIR = DATA_DIR / "formations"
CONTENT_REGISTER = PROJECT_ROOT / "content" / "answers.yml"
TESTS_DIR = PROJECT_ROOT / "tests"
RESULTS_DIR = PROJECT_ROOT / "results"
VAR_DIR = PROJECT_ROOT / "var"
WEB_DIR = PROJECT_ROOT / "bot" / "web"
CONFIG_PATH = PROJECT_ROOT / "config.yml"
SCALE_OUT_PROCFILE = PROJECT_ROOT / "deploy" / "Procfile"
NGINX_CONF = PROJECT_ROOT / "deploy" / "nginx.conf"
DOCS_DIR = PROJECT_ROOT / "docs"
CACHE_DIR = VAR_DIR / "cache"
SUPERVISOR_DIR = VAR_DIR / "supervisor"
