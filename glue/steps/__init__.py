"""Scripts the pipeline steps run: uploaded to the environment's bucket by the upsert."""

from pathlib import Path

STEPS_DIR = Path(__file__).resolve().parent
SCRIPTS = ("preprocess.py", "evaluate.py", "data_quality.py", "latest_approved_model.py")
