"""SageMaker pipeline definitions and their upsert."""
