"""Python glue of the multi-account SageMaker MLOps platform."""
