"""Run a stored SageMaker pipeline definition step by step on this machine.

The emulator stores pipelines but runs nothing. This runner reads the definition that was
upserted (the same JSON), resolves its parameters and property references, and executes each
step locally against the emulator's S3 and SageMaker:

- Processing: the project's step script as a local process, with the container layout
  (`/opt/ml/processing/...`) mapped to a local folder, inputs downloaded and outputs uploaded;
- Training: the built-in XGBoost algorithm's contract (CSV channels, label first; hyperparameters;
  `model.tar.gz` holding `xgboost-model`) with the xgboost library;
- QualityCheck (data quality): Model Monitor's analyzer (`glue.local.model_monitor`) on the
  job's inputs and environment, its files uploaded where the job puts them;
- Condition (JsonGet on property files), Fail, RegisterModel, Lambda (the project's handler),
  Model and Transform (scores the batch with the model).

Each run ends with the status-change event SageMaker emits for a terminal state.
"""

from __future__ import annotations

import csv
import json
import shutil
import tarfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from glue.aws import client, split_s3
from glue.local import model_monitor, warm, xgboost_container
from glue.local.emulator.control import Emulator
from glue.local.services import as_service
from glue.pipelines import definitions, expressions, validation
from glue.steps import STEPS_DIR, images
from glue.steps.latest_approved_model import NoApprovedModel, latest_approved

PROCESSING_ROOT = definitions.PROCESSING_ROOT
# Where SageMaker lists a QualityCheck step's violation report (ListPipelineExecutionSteps).
VIOLATION_REPORT = "Metadata.QualityCheck.ViolationReport"
STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "GreaterThanOrEqualTo": lambda a, b: float(a) >= float(b),
    "GreaterThan": lambda a, b: float(a) > float(b),
    "LessThanOrEqualTo": lambda a, b: float(a) <= float(b),
    "LessThan": lambda a, b: float(a) < float(b),
    "Equals": lambda a, b: a == b,
}


class StepFailed(Exception):
    def __init__(self, step: str, reason: str):
        super().__init__(f"step {step} failed: {reason}")
        self.step, self.reason = step, reason


@dataclass
class StepRecord:
    name: str
    type: str
    status: str
    detail: str = ""


@dataclass
class Execution:
    pipeline: str
    arn: str
    account: str
    region: str
    parameters: dict[str, Any]
    status: str = "Executing"
    failure_reason: str = ""
    steps: list[StepRecord] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    ended: str = ""

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[1]

    @property
    def pipeline_arn(self) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account}:pipeline/{self.pipeline.lower()}"

    def status_change_event(self) -> dict[str, Any]:
        """The event SageMaker sends to EventBridge when an execution reaches this status."""
        return {
            "version": "0",
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.arn}/{self.status}")),
            "detail-type": STATUS_CHANGE,
            "source": "aws.sagemaker",
            "account": self.account,
            "time": self.ended,
            "region": self.region,
            "resources": [self.pipeline_arn, self.arn],
            "detail": {
                "pipelineArn": self.pipeline_arn,
                "pipelineExecutionArn": self.arn,
                "pipelineExecutionDisplayName": self.id,
                "currentPipelineExecutionStatus": self.status,
                "previousPipelineExecutionStatus": "Executing",
                "executionStartTime": self.started,
                "executionEndTime": self.ended,
                "pipelineExecutionDescription": self.failure_reason,
            },
        }


def _number(text: str) -> Any:
    """Hyperparameters arrive as strings; the algorithm reads ints, floats or names."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class LocalRunner:
    """Executes pipelines of one account as SageMaker does: `session` (that account's, as AWS
    reads it) reads a pipeline, `starter` starts it when no rule does (default: `session`); its
    steps act as the pipeline's role, which SageMaker assumes (the local AWS hands it over only
    if the role's trust admits SageMaker)."""

    def __init__(self, session, emulator: Emulator, workdir: Path, starter=None):
        self.session = session
        self.starter = starter or session
        self.emulator = emulator
        self.workdir = workdir
        self.account = client(session, "sts", emulator).get_caller_identity()["Account"]
        # The session and clients of the run's steps: the pipeline role's, set by run().
        self.as_pipeline = self.s3 = self.steps_sagemaker = None

    def _as_service(self, service: str, role_arn: str, session_name: str):
        """A session of the role as the service gets it from the local AWS."""
        return as_service(self.emulator, service, role_arn, self.session.region_name, session_name)

    # --- S3 -------------------------------------------------------------------------------
    def download(self, uri: str, folder: Path) -> None:
        bucket, prefix = split_s3(uri)
        folder.mkdir(parents=True, exist_ok=True)
        found = False
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                relative = item["Key"][len(prefix) :].lstrip("/") or Path(item["Key"]).name
                target = folder / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                self.s3.download_file(bucket, item["Key"], str(target))
                found = True
        if not found:
            raise FileNotFoundError(f"nothing at {uri}")

    def upload(self, folder: Path, uri: str) -> None:
        bucket, prefix = split_s3(uri)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            key = "/".join(
                part for part in (prefix.rstrip("/"), str(path.relative_to(folder))) if part
            )
            self.s3.upload_file(str(path), bucket, key)

    # --- references -----------------------------------------------------------------------
    def resolve(self, value: Any, execution: Execution) -> Any:
        return expressions.resolve(value, lambda path: self._get(path, execution))

    @staticmethod
    def _get(path: str, execution: Execution) -> Any:
        if path.startswith("Parameters."):
            return execution.parameters[path.split(".", 1)[1]]
        if path == "Execution.PipelineExecutionId":
            return execution.id
        if path == "Execution.PipelineName":
            return execution.pipeline
        if path not in execution.properties:
            raise KeyError(f"no value for {path} (its step has not run)")
        return execution.properties[path]

    # --- steps ----------------------------------------------------------------------------
    @staticmethod
    def _refuse_unfit_script(step: dict, arguments: dict) -> None:
        """A script that would fail in its image on AWS fails here too, with the reason."""
        specification = arguments["AppSpecification"]
        script = STEPS_DIR / Path(specification["ContainerEntrypoint"][-1]).name
        problems = images.problems(script, specification["ImageUri"].split("/", 1)[1])
        if problems:
            raise StepFailed(step["Name"], "; ".join(problems))

    def _job_with_inputs(
        self, step: dict, arguments: dict, execution: Execution
    ) -> tuple[Path, Callable[[Any], Path]]:
        """A processing job's folder on this machine, standing for `/opt/ml/processing`, with
        the job's inputs downloaded into it; and the map of a container path to its place."""
        base = self.workdir / execution.id / step["Name"]

        def local(path: Any) -> Path:
            return Path(str(path).replace(PROCESSING_ROOT, str(base)))

        for source in arguments["ProcessingInputs"]:
            self.download(source["S3Input"]["S3Uri"], local(source["S3Input"]["LocalPath"]))
        return base, local

    def _processing(self, step: dict, arguments: dict, execution: Execution) -> None:
        self._refuse_unfit_script(step, arguments)
        base, local = self._job_with_inputs(step, arguments, execution)
        command = [
            local(part) if str(part).startswith(PROCESSING_ROOT) else part
            for part in arguments["AppSpecification"]["ContainerEntrypoint"]
        ]
        if len(command) < 2 or command[0] != "python3":
            shown = " ".join(map(str, command))
            raise StepFailed(step["Name"], f"entrypoint `{shown}` is not `python3 <script> ...`")
        result = warm.run(Path(command[1]), [*map(str, command[2:]), "--base-dir", str(base)])
        if result.returncode != 0:
            last = result.stderr.strip().splitlines() or ["exit code " + str(result.returncode)]
            raise StepFailed(step["Name"], last[-1])
        outputs = arguments["ProcessingOutputConfig"]["Outputs"]
        for output in outputs:
            uri = output["S3Output"]["S3Uri"]
            self.upload(local(output["S3Output"]["LocalPath"]), uri)
            execution.properties[
                f"Steps.{step['Name']}.ProcessingOutputConfig.Outputs"
                f"['{output['OutputName']}'].S3Output.S3Uri"
            ] = uri
        for property_file in step.get("PropertyFiles", []):
            output = next(o for o in outputs if o["OutputName"] == property_file["OutputName"])
            path = local(output["S3Output"]["LocalPath"]) / property_file["FilePath"]
            execution.properties[
                f"Steps.{step['Name']}.PropertyFiles.{property_file['PropertyFileName']}"
            ] = json.loads(path.read_text())

    def _quality_check(self, step: dict, arguments: dict, execution: Execution) -> None:
        """Model Monitor's analyzer as SageMaker runs it for the step: the dataset downloaded,
        the supplied baseline (when the step checks) given by the contract's environment
        variables (where SageMaker puts the files is not published: here under `baseline/`),
        the statistics, constraints and violations uploaded to the job's output; the properties
        the step's later steps read, and the violation report's URI as SageMaker lists it with
        the step (`Metadata.QualityCheck.ViolationReport`); a violation fails the step unless
        it is told not to (`FailOnViolation` defaults to true, as in the SDK)."""
        image = arguments["AppSpecification"]["ImageUri"]
        expected = definitions.MODEL_MONITOR_REPOSITORY
        if step.get("CheckType") != "DATA_QUALITY" or image.rsplit("/", 1)[-1] != expected:
            raise StepFailed(
                step["Name"],
                f"only DATA_QUALITY checks with Model Monitor's {expected} image are emulated",
            )
        base, local = self._job_with_inputs(step, arguments, execution)
        environment = {
            name: str(local(value)) if str(value).startswith(PROCESSING_ROOT) else value
            for name, value in arguments.get("Environment", {}).items()
        }

        def flag(name: str, default: bool = False) -> bool:
            value = self.resolve(step.get(name), execution)
            return default if value is None else str(value).lower() == "true"

        supplied = {
            kind: self.resolve(step.get(f"SuppliedBaseline{kind.title()}"), execution)
            for kind in ("statistics", "constraints")
        }
        checks = not flag("SkipCheck")
        if checks:
            if not supplied["constraints"]:
                raise StepFailed(step["Name"], "a check needs SuppliedBaselineConstraints")
            for kind, uri in supplied.items():
                if uri:
                    bucket, key = split_s3(uri)
                    target = base / "baseline" / kind / f"{kind}.json"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    self.s3.download_file(bucket, key, str(target))
                    environment[f"baseline_{kind}"] = str(target)
        try:
            found = model_monitor.analyze(environment)
        except model_monitor.AnalyzerError as error:
            raise StepFailed(step["Name"], f"ClientError: {error}") from None
        [output] = arguments["ProcessingOutputConfig"]["Outputs"]
        uri = output["S3Output"]["S3Uri"].rstrip("/")
        self.upload(local(output["S3Output"]["LocalPath"]), uri)
        calculated = {
            "statistics": f"{uri}/{model_monitor.STATISTICS}",
            "constraints": f"{uri}/{model_monitor.CONSTRAINTS}",
        }
        used = calculated if flag("RegisterNewBaseline") else supplied
        for kind in ("statistics", "constraints"):
            name = kind.title()
            execution.properties[f"Steps.{step['Name']}.CalculatedBaseline{name}"] = calculated[
                kind
            ]
            execution.properties[f"Steps.{step['Name']}.BaselineUsedForDriftCheck{name}"] = used[
                kind
            ]
        if checks:
            execution.properties[f"Steps.{step['Name']}.{VIOLATION_REPORT}"] = (
                f"{uri}/{model_monitor.VIOLATIONS}"
            )
        if checks and found and flag("FailOnViolation", default=True):
            # SageMaker's reason (as the SDK's integration test of the step reads it), and the
            # report it points to: the violations are in the report, not in the reason.
            raise StepFailed(
                step["Name"],
                f"ClientError: Quality check failed. See violation report "
                f"{uri}/{model_monitor.VIOLATIONS}",
            )

    def _training(self, step: dict, arguments: dict, execution: Execution) -> None:
        import xgboost  # noqa: PLC0415 - only the training and transform steps need it

        base = self.workdir / execution.id / step["Name"]
        matrices = {}
        for channel in arguments["InputDataConfig"]:
            folder = base / "input" / channel["ChannelName"]
            self.download(channel["DataSource"]["S3DataSource"]["S3Uri"], folder)
            rows = [
                [float(v) for v in row]
                for path in sorted(folder.glob("*.csv"))
                for row in csv.reader(path.open())
                if row
            ]
            matrices[channel["ChannelName"]] = xgboost.DMatrix(
                [row[1:] for row in rows], label=[row[0] for row in rows]
            )
        hyperparameters = dict(arguments.get("HyperParameters", {}))
        rounds = int(hyperparameters.pop("num_round", "100"))
        params: dict[str, Any] = {key: _number(value) for key, value in hyperparameters.items()}
        params["seed"] = 0
        booster = xgboost.train(
            params,
            matrices["train"],
            num_boost_round=rounds,
            evals=[(matrices.get("validation", matrices["train"]), "val")],
            verbose_eval=False,
        )
        model_dir = base / "model"
        model_dir.mkdir(parents=True, exist_ok=True)
        # The built-in algorithm's artifact name, in UBJSON (xgboost's default binary format).
        (model_dir / "xgboost-model").write_bytes(bytes(booster.save_raw("ubj")))
        archive = base / "model.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(model_dir / "xgboost-model", arcname="xgboost-model")
        job = f"{execution.pipeline[:40]}-{step['Name']}-{execution.id[:12]}".lower()
        uri = (
            f"{arguments['OutputDataConfig']['S3OutputPath'].rstrip('/')}/{job}/output/model.tar.gz"
        )
        bucket, key = split_s3(uri)
        self.s3.upload_file(str(archive), bucket, key)
        execution.properties[f"Steps.{step['Name']}.ModelArtifacts.S3ModelArtifacts"] = uri

    def _register(self, step: dict, arguments: dict, execution: Execution) -> None:
        arguments = dict(arguments)
        arguments["CustomerMetadataProperties"] = {
            k: str(v) for k, v in arguments.get("CustomerMetadataProperties", {}).items()
        }
        arn = self.steps_sagemaker.create_model_package(**arguments)["ModelPackageArn"]
        execution.properties[f"Steps.{step['Name']}.ModelPackageArn"] = arn

    def _lambda(self, step: dict, arguments: dict, execution: Execution) -> None:
        # SageMaker invokes the function as the pipeline's role (checked here with a dry run:
        # the local AWS does not run functions), and Lambda runs it with the function's role.
        client(self.as_pipeline, "lambda", self.emulator).invoke(
            FunctionName=step["FunctionArn"], InvocationType="DryRun"
        )
        function = client(self.session, "lambda", self.emulator).get_function_configuration(
            FunctionName=step["FunctionArn"]
        )
        as_function = self._as_service(
            "lambda.amazonaws.com", function["Role"], function["FunctionName"]
        )
        try:
            outputs = latest_approved(
                client(as_function, "sagemaker", self.emulator),
                arguments["model_package_group_arn"],
            )
        except NoApprovedModel as error:
            raise StepFailed(step["Name"], str(error)) from None
        for name, value in outputs.items():
            execution.properties[f"Steps.{step['Name']}.OutputParameters['{name}']"] = value

    def _model(self, step: dict, arguments: dict, execution: Execution) -> None:
        name = f"{execution.pipeline[:40]}-{execution.id[:20]}".lower()
        self.steps_sagemaker.create_model(ModelName=name, **arguments)
        execution.properties[f"Steps.{step['Name']}.ModelName"] = name

    def _transform(self, step: dict, arguments: dict, execution: Execution) -> None:
        base = self.workdir / execution.id / step["Name"]
        model = self.steps_sagemaker.describe_model(ModelName=arguments["ModelName"])
        bucket, key = split_s3(model["PrimaryContainer"]["ModelDataUrl"])
        base.mkdir(parents=True, exist_ok=True)
        self.s3.download_file(bucket, key, str(base / "model.tar.gz"))
        booster = xgboost_container.load((base / "model.tar.gz").read_bytes())
        self.download(
            arguments["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"], base / "input"
        )
        output = base / "output"
        output.mkdir(parents=True, exist_ok=True)
        content_type = arguments["TransformInput"].get("ContentType", "text/csv")
        for path in sorted((base / "input").glob("*.csv")):
            # Each file's records, one request each way (SplitType Line, AssembleWith Line).
            features = xgboost_container.rows(path.read_bytes(), content_type)
            text, _ = xgboost_container.answer(
                xgboost_container.scores(booster, features), "text/csv"
            )
            (output / f"{path.name}.out").write_text(text)
        self.upload(output, arguments["TransformOutput"]["S3OutputPath"])
        execution.properties[f"Steps.{step['Name']}.TransformOutput.S3OutputPath"] = arguments[
            "TransformOutput"
        ]["S3OutputPath"]

    def _run_step(self, step: dict, execution: Execution) -> None:
        kind = step["Type"]
        if kind == "Condition":
            arguments = step["Arguments"]
            held = all(
                _OPERATORS[c["Type"]](
                    self.resolve(c["LeftValue"], execution),
                    self.resolve(c["RightValue"], execution),
                )
                for c in arguments["Conditions"]
            )
            execution.steps.append(
                StepRecord(step["Name"], kind, "Succeeded", f"outcome {str(held).lower()}")
            )
            for branch_step in arguments["IfSteps" if held else "ElseSteps"]:
                self._run_step(branch_step, execution)
            return
        if kind == "Fail":
            message = self.resolve(step["Arguments"]["ErrorMessage"], execution)
            execution.steps.append(StepRecord(step["Name"], kind, "Failed", message))
            raise StepFailed(step["Name"], message)
        arguments = self.resolve(step.get("Arguments", {}), execution)
        handlers = {
            "Processing": self._processing,
            "QualityCheck": self._quality_check,
            "Training": self._training,
            "RegisterModel": self._register,
            "Lambda": self._lambda,
            "Model": self._model,
            "Transform": self._transform,
        }
        try:
            refused = validation.step_problems(step, arguments)  # as SageMaker's job request is
            if refused:
                raise StepFailed(step["Name"], refused[0])
            handlers[kind](step, arguments, execution)
        except StepFailed as failure:
            execution.steps.append(StepRecord(step["Name"], kind, "Failed", failure.reason))
            raise
        except Exception as error:  # a step's own error fails the run, as on SageMaker
            reason = f"{type(error).__name__}: {error}"
            execution.steps.append(StepRecord(step["Name"], kind, "Failed", reason))
            raise StepFailed(step["Name"], reason) from error
        execution.steps.append(StepRecord(step["Name"], kind, "Succeeded"))

    def run(
        self, pipeline: str, parameters: dict[str, Any] | None = None, started_by=None
    ) -> Execution:
        """Run the pipeline to its end; `started_by` (a session: an event rule's target role)
        starts it, else the runner's starter."""
        # What SageMaker itself knows of the pipeline (read here with the runner's session);
        # the start is the starter's request.
        described = client(self.session, "sagemaker", self.emulator).describe_pipeline(
            PipelineName=pipeline
        )
        starter = client(started_by or self.starter, "sagemaker", self.emulator)
        definition = json.loads(described["PipelineDefinition"])
        values = {p["Name"]: p.get("DefaultValue") for p in definition.get("Parameters", [])}
        unknown = set(parameters or {}) - set(values)
        if unknown:
            raise ValueError(f"{pipeline} has no parameters {sorted(unknown)}")
        missing = {name for name, value in values.items() if value is None} - set(parameters or {})
        if missing:  # SageMaker refuses the start
            raise ValueError(f"{pipeline} needs a value of {sorted(missing)} (no default)")
        values.update(parameters or {})
        arn = starter.start_pipeline_execution(
            PipelineName=pipeline,
            PipelineParameters=[
                {"Name": k, "Value": str(v)} for k, v in (parameters or {}).items()
            ],
        )["PipelineExecutionArn"]
        region = arn.split(":")[3]
        execution = Execution(
            described["PipelineName"], arn, self.account, region, values, started=_now()
        )
        as_pipeline = self._as_service(
            "sagemaker.amazonaws.com", described["RoleArn"], f"{pipeline}-{execution.id[:12]}"
        )
        self.as_pipeline = as_pipeline
        self.s3 = client(as_pipeline, "s3", self.emulator)
        self.steps_sagemaker = client(as_pipeline, "sagemaker", self.emulator)
        try:
            for step in definition["Steps"]:
                self._run_step(step, execution)
            execution.status = "Succeeded"
        except StepFailed as failure:
            execution.status, execution.failure_reason = "Failed", str(failure)
        finally:
            shutil.rmtree(self.workdir / execution.id, ignore_errors=True)
        execution.ended = _now()
        return execution
