#!/usr/bin/env bash
# The long soak (issue 15): 200 generated models of 25 layers (about 5,000 layers, 5% corrupt, plus real
# PyTorch, Keras, GGUF, ONNX and npz files) on three workers, three jobs in a row, a random worker killed and
# restarted at a third and two thirds of each job. (A 30-60 s clock, WW_SOAK_KILL_SECONDS=30-60, killed
# nothing here: a 4,806-layer job takes 8-18 s on two cores. Use it for zoos whose jobs take minutes.) CI runs the same test with its short defaults. Needs a built solution
# (dotnet cake --target=Build) and ../shared; prints the figures (per job: time, layers, re-sent, kills,
# failures listed, peak worker RSS). Override with WW_SOAK_MODELS, WW_SOAK_LAYERS, WW_SOAK_KILL_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
export WW_SOAK_MODELS="${WW_SOAK_MODELS:-200}" WW_SOAK_LAYERS="${WW_SOAK_LAYERS:-25}"
dotnet test tests/WeightWatcher.Cluster.Tests -c Release --no-build --filter "FullyQualifiedName~SoakTests" --logger "console;verbosity=normal" |
  grep -E "soak:|Passed|Failed|Error Message" -A3
