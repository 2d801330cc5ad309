"""Scripts that run on AWS (the pipeline steps and the Lambda handlers), each checked against
the image it declares."""

from pathlib import Path

STEPS_DIR = Path(__file__).resolve().parent
# Uploaded to the environment's bucket by the upsert; the processing steps run them.
PROCESSING_SCRIPTS = ("preprocess.py", "evaluate.py")
# The handler of the Lambda step, deployed by Terraform (see glue/lambda_package.py).
LAMBDA_HANDLER_SCRIPT = "latest_approved_model.py"
PIPELINE_SCRIPTS = (*PROCESSING_SCRIPTS, LAMBDA_HANDLER_SCRIPT)
# The handler of the registry's governance recorder, deployed by Terraform.
GOVERNANCE_HANDLER_SCRIPT = "governance_recorder.py"
# The handler of a stage's real-time endpoint deployment (modules/realtime-endpoint).
ENDPOINT_DEPLOYER_SCRIPT = "endpoint_deployer.py"
SCRIPTS = (*PIPELINE_SCRIPTS, GOVERNANCE_HANDLER_SCRIPT, ENDPOINT_DEPLOYER_SCRIPT)
