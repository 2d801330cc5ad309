# A stage's real-time endpoint, deployed on approval with SageMaker's guardrails. The endpoint
# changes with every approved version, so Terraform does not own it: it owns what decides how it
# changes — the deployment function, the rule that starts it on an approval of the stage's
# group, and the alarms that roll a deployment back — and hands the function, as its
# environment, the exact ProductionVariant, DataCaptureConfig and DeploymentConfig it sends
# (one owner: this module). The function makes the endpoint serve the group's newest approved
# version (what batch inference serves too): a model and an endpoint config per version, and
# the endpoint created or updated (blue/green: the new fleet beside the old, traffic shifted as
# configured, back to the old fleet when an alarm fires). It runs on every status change of the
# group's versions the registry forwards (an approval; a rejection, which rolls back) and when
# the endpoint's own state changes (a deployment that ended, so one that had to wait goes next).
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition      = data.aws_partition.current.partition
  account_id     = data.aws_caller_identity.current.account_id
  region         = data.aws_region.current.name
  sagemaker_arns = "arn:${local.partition}:sagemaker:${local.region}:${local.account_id}"
  function_name  = "${var.endpoint_name}-deployer"
  log_group_name = "/aws/lambda/${local.function_name}"
  log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"
  # The stage's group (SageMaker writes names lowercase in ARNs) and its versions
  # (arn:...:model-package/<group>/<version>).
  group_account  = split(":", var.model_package_group_arn)[4]
  group_name     = split("/", var.model_package_group_arn)[1]
  group_arn      = "${split("/", var.model_package_group_arn)[0]}/${lower(local.group_name)}"
  model_packages = "${replace(local.group_arn, ":model-package-group/", ":model-package/")}/*"
  # What the function creates: `<endpoint>-v<version>`, the endpoint itself.
  versions_named = lower("${var.endpoint_name}-v*")
  # Blue/green keeps one variant; its metrics (dimensions EndpointName, VariantName) are the
  # serving fleet's, the new one's once it takes traffic.
  variant_name = "AllTraffic"
  # (Each branch's JSON: the two shapes are objects of different types.)
  production_variant = var.serving.mode == "serverless" ? jsonencode({
    VariantName = local.variant_name
    ServerlessConfig = {
      MemorySizeInMB = var.serving.memory_size_mb
      MaxConcurrency = var.serving.max_concurrency
    }
    }) : jsonencode({
    VariantName          = local.variant_name
    InstanceType         = var.serving.instance_type
    InitialInstanceCount = var.serving.instance_count
  })
  # Serverless endpoints capture nothing (SageMaker's exclusions): null, and the function sends
  # no DataCaptureConfig.
  data_capture_config = var.data_capture == null ? null : {
    EnableCapture             = true
    InitialSamplingPercentage = var.data_capture.sampling_percent
    DestinationS3Uri          = var.data_capture.destination_s3_uri
    KmsKeyId                  = var.data_capture.kms_key_arn
    CaptureOptions            = [{ CaptureMode = "Input" }, { CaptureMode = "Output" }]
    CaptureContentTypeHeader  = { CsvContentTypes = ["text/csv"] }
  }
  # Model Monitor on the captured data: one schedule, pointed at the served version's
  # data-quality job definition (`<endpoint>-v<version>`, its baseline), which the function
  # creates from this request and the version's DriftCheckBaselines.
  monitoring_schedule_name = "${var.endpoint_name}-data-quality"
  monitoring = var.monitoring == null ? null : {
    ScheduleName       = local.monitoring_schedule_name
    ScheduleExpression = var.monitoring.schedule_expression
    JobDefinition = {
      DataQualityJobInput = {
        EndpointInput = { EndpointName = var.endpoint_name, LocalPath = "/opt/ml/processing/input/endpoint" }
      }
      DataQualityJobOutputConfig = {
        MonitoringOutputs = [{
          S3Output = { S3Uri = var.monitoring.output_s3_uri, LocalPath = "/opt/ml/processing/output", S3UploadMode = "EndOfJob" }
        }]
        KmsKeyId = var.monitoring.kms_key_arn
      }
      JobResources = {
        ClusterConfig = {
          InstanceCount  = 1
          InstanceType   = var.monitoring.instance_type
          VolumeSizeInGB = 20
          VolumeKmsKeyId = var.kms_key_arn
        }
      }
      StoppingCondition = { MaxRuntimeInSeconds = var.monitoring.max_runtime_seconds }
    }
  }
  alarm_names = {
    errors  = "${var.endpoint_name}-5xx-rate"
    latency = "${var.endpoint_name}-model-latency"
  }
  alarm_arns = [for name in values(local.alarm_names) : "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${name}"]
  step_size  = { Type = "CAPACITY_PERCENT", Value = var.traffic_shift.step_percent }
  traffic_routing = merge(
    {
      Type = var.traffic_shift.type
      # All at once, the alarms watch the new fleet this long after it took the traffic.
      WaitIntervalInSeconds = var.traffic_shift.wait_seconds
    },
    jsondecode(
      var.traffic_shift.type == "CANARY" ? jsonencode({ CanarySize = local.step_size }) :
      var.traffic_shift.type == "LINEAR" ? jsonencode({ LinearStepSize = local.step_size }) : "{}"
    ),
  )
  deployment_config = {
    BlueGreenUpdatePolicy = {
      TrafficRoutingConfiguration      = local.traffic_routing
      TerminationWaitInSeconds         = var.traffic_shift.termination_wait_seconds
      MaximumExecutionTimeoutInSeconds = var.traffic_shift.max_execution_seconds
    }
    AutoRollbackConfiguration = {
      Alarms = [for name in values(local.alarm_names) : { AlarmName = name }]
    }
  }
}

# A deployment rolls back when the endpoint answers too many 5XX: their share of the invocations
# of a period, so a quiet endpoint's single error is judged as such. Both alarms watch the whole
# variant (EndpointName, VariantName), old fleet and new: the new fleet alone would need its
# endpoint config's name as a dimension, and that name changes with every version while the
# alarms are Terraform's. SageMaker's guide warns of the consequence: an old fleet that trips an
# alarm during a deployment stops it too. The execution role reads the alarms
# (cloudwatch:DescribeAlarms), as SageMaker's guide asks of it.
resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = local.alarm_names.errors
  alarm_description   = "More than ${var.rollback_alarms.max_5xx_percent}% of ${var.endpoint_name}'s invocations answered 5XX: a deployment in progress rolls back."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.rollback_alarms.max_5xx_percent
  evaluation_periods  = var.rollback_alarms.evaluation_periods
  treat_missing_data  = "notBreaching"
  tags                = var.tags

  metric_query {
    id          = "errors_percent"
    expression  = "IF(invocations > 0, 100 * errors / invocations, 0)"
    label       = "5XX share of invocations (%)"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "Invocation5XXErrors"
      dimensions  = { EndpointName = var.endpoint_name, VariantName = local.variant_name }
      period      = var.rollback_alarms.period_seconds
      stat        = "Sum"
    }
  }
  metric_query {
    id = "invocations"
    metric {
      namespace   = "AWS/SageMaker"
      metric_name = "Invocations"
      dimensions  = { EndpointName = var.endpoint_name, VariantName = local.variant_name }
      period      = var.rollback_alarms.period_seconds
      stat        = "Sum"
    }
  }
}

# ... or answers too slowly (ModelLatency is in microseconds).
resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_name          = local.alarm_names.latency
  alarm_description   = "${var.endpoint_name}'s model took more than ${var.rollback_alarms.max_model_latency_ms} ms on average: a deployment in progress rolls back."
  namespace           = "AWS/SageMaker"
  metric_name         = "ModelLatency"
  dimensions          = { EndpointName = var.endpoint_name, VariantName = local.variant_name }
  statistic           = "Average"
  period              = var.rollback_alarms.period_seconds
  evaluation_periods  = var.rollback_alarms.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.rollback_alarms.max_model_latency_ms * 1000
  treat_missing_data  = "notBreaching"
  tags                = var.tags
}

module "trust" {
  source     = "../service-role-trust"
  service    = "lambda.amazonaws.com"
  account_id = local.account_id
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "FindTheNewestApprovedVersion"
    actions   = ["sagemaker:ListModelPackages"]
    resources = [local.group_arn]
  }
  statement {
    # CreateModel from a version of another account's group is authorized on the version too
    # (the group's resource policy grants it there).
    sid       = "DeployTheGroupsVersions"
    actions   = ["sagemaker:CreateModel"]
    resources = [local.model_packages]
  }
  statement {
    sid       = "CreateEachVersionsModelAndEndpointConfig"
    actions   = ["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig"]
    resources = ["${local.sagemaker_arns}:model/${local.versions_named}", "${local.sagemaker_arns}:endpoint-config/${local.versions_named}"]
  }
  statement {
    sid       = "CreateOrUpdateTheEndpoint"
    actions   = ["sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:DescribeEndpoint"]
    resources = ["${local.sagemaker_arns}:endpoint/${lower(var.endpoint_name)}", "${local.sagemaker_arns}:endpoint-config/${local.versions_named}"]
  }
  dynamic "statement" {
    # The served version's metadata (the group's policy lets the stage's account describe its
    # versions): its held-out split for the check, its data-quality baseline for monitoring.
    for_each = var.check == null && var.monitoring == null ? [] : [local.model_packages]
    content {
      sid       = "DescribeTheServedVersion"
      actions   = ["sagemaker:DescribeModelPackage"]
      resources = [statement.value]
    }
  }
  dynamic "statement" {
    for_each = var.check == null ? {} : {
      # After a deployment: the version's held-out split, read with the bucket's key...
      ReadTheHeldOutSplits = { actions = ["s3:GetObject"], resources = var.check.held_out_object_arns }
      # ...sent to the endpoint; the result tagged on the version's endpoint config.
      SendTheHeldOutRowsToTheEndpoint   = { actions = ["sagemaker:InvokeEndpoint"], resources = ["${local.sagemaker_arns}:endpoint/${lower(var.endpoint_name)}"] }
      RecordTheCheckOnTheVersionsConfig = { actions = ["sagemaker:AddTags", "sagemaker:ListTags"], resources = ["${local.sagemaker_arns}:endpoint-config/${local.versions_named}"] }
    }
    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
  dynamic "statement" {
    for_each = var.check == null ? [] : [var.check.kms_key_arn]
    content {
      sid       = "DecryptTheHeldOutSplitsThroughS3"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
  dynamic "statement" {
    for_each = var.monitoring == null ? {} : {
      # The served version's job definition (its baseline), and the schedule pointed at it.
      DefineEachVersionsMonitoring   = { actions = ["sagemaker:CreateDataQualityJobDefinition", "sagemaker:DescribeDataQualityJobDefinition"], resources = ["${local.sagemaker_arns}:data-quality-job-definition/${local.versions_named}"] }
      ScheduleTheEndpointsMonitoring = { actions = ["sagemaker:CreateMonitoringSchedule", "sagemaker:UpdateMonitoringSchedule", "sagemaker:DescribeMonitoringSchedule"], resources = ["${local.sagemaker_arns}:monitoring-schedule/${lower(local.monitoring_schedule_name)}"] }
    }
    content {
      sid       = statement.key
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
  # The execution role runs each version's model, and each monitoring execution.
  statement {
    sid       = "HandTheExecutionRoleToSageMaker"
    actions   = ["iam:PassRole"]
    resources = [var.execution_role_arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
  statement {
    sid       = "DecryptItsEnvironment"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "WriteItsOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }
}

resource "aws_iam_role" "this" {
  name               = local.function_name
  description        = "The endpoint deployment function: deploys an approved version to ${var.endpoint_name} with blue/green guardrails."
  assume_role_policy = module.trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "deploy-approved-versions"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.deploy.json
}

module "function" {
  source             = "../lambda-function"
  function_name      = local.function_name
  description        = "Deploys each approved version of the stage's group to ${var.endpoint_name} (blue/green, rolled back by alarm)."
  role_arn           = aws_iam_role.this.arn
  package            = var.package
  timeout            = 60 # a check sends at most 200 rows once, and waits for their scores
  kms_key_arn        = var.kms_key_arn
  log_retention_days = var.log_retention_days
  environment_variables = merge({
    ENDPOINT_NAME           = var.endpoint_name
    MODEL_PACKAGE_GROUP_ARN = var.model_package_group_arn
    EXECUTION_ROLE_ARN      = var.execution_role_arn
    PRODUCTION_VARIANT      = local.production_variant
    DATA_CAPTURE_CONFIG     = jsonencode(local.data_capture_config)
    DEPLOYMENT_CONFIG       = jsonencode(local.deployment_config)
    },
    var.check == null ? {} : { CHECK_MIN_AUC = tostring(var.check.min_auc) },
    local.monitoring == null ? {} : { MONITORING = jsonencode(local.monitoring) },
  )
  tags = var.tags

  # The role may write its logs before the function's first invocation.
  depends_on = [aws_iam_role_policy.this]
}

locals {
  # What runs the function: a status change of a version of the group, which the registry
  # forwards (a version created approved emits one at each status it passes: Completed only),
  # and a state change of the endpoint.
  triggers = {
    versions = {
      description = "A status change of a version of ${local.group_name} (approved, rejected): ${var.endpoint_name} serves the newest approved."
      pattern = {
        source        = ["aws.sagemaker"]
        account       = [local.group_account]
        "detail-type" = ["SageMaker Model Package State Change"]
        detail        = { ModelPackageGroupName = [local.group_name], ModelPackageStatus = ["Completed"] }
      }
    }
    endpoint = {
      description = "A state change of ${var.endpoint_name} (a deployment ended): a version that waited is deployed."
      pattern = {
        source        = ["aws.sagemaker"]
        "detail-type" = ["SageMaker Endpoint State Change"]
        detail        = { EndpointName = [var.endpoint_name] }
      }
    }
  }
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each      = local.triggers
  name          = "${local.function_name}-${each.key}"
  description   = each.value.description
  event_pattern = jsonencode(each.value.pattern)
  tags          = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = aws_cloudwatch_event_rule.this
  rule     = each.value.name
  arn      = module.function.function_arn
}

resource "aws_lambda_permission" "events" {
  for_each      = aws_cloudwatch_event_rule.this
  statement_id  = "InvokedByThe${title(each.key)}Rule"
  action        = "lambda:InvokeFunction"
  function_name = module.function.function_name
  principal     = "events.amazonaws.com"
  source_arn    = each.value.arn
}
