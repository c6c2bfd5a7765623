"""Hypothesis profiles: `ci` (the default) is derandomized with no deadline, so a run is repeatable.

Set HYPOTHESIS_PROFILE=dev for fresh random examples while developing.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The script that regenerates the PyTorch reference numbers needs PyTorch; it is not a test module.
collect_ignore = ["reference/make_torch_reference.py", "reference/make_torch_training_reference.py"]
collect_ignore += ["reference/make_graph_reference.py"]  # graphs of layers
collect_ignore += ["reference/make_layer_reference.py"]  # images, sequences, normalisation
collect_ignore += ["reference/make_onnx_reference.py"]  # ONNX files written by PyTorch's exporters
