"""Only for the embedded local AWS: nothing here runs against AWS.

The emulator (moto's server with this project's extensions), the pipeline runner that executes
SageMaker pipeline definitions on this machine, the event router that delivers what EventBridge
would, and the main job (`mlops demo`) that drives them. Everything outside this package is
what also runs against AWS.
"""
