#!/usr/bin/env bash
# The long soak (issue 15): 200 generated models of 25 layers (about 5,000 layers, 5% corrupt, plus real
# PyTorch, Keras, GGUF and npz files) on three workers, a random worker killed and restarted every 30-60 s,
# three jobs in a row. CI runs the same test with its short defaults. Needs a built solution
# (dotnet cake --target=Build) and ../shared; prints the figures (per job: time, layers, re-sent, kills,
# failures listed, peak worker RSS). Override with WW_SOAK_MODELS, WW_SOAK_LAYERS, WW_SOAK_KILL_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
export WW_SOAK_MODELS="${WW_SOAK_MODELS:-200}" WW_SOAK_LAYERS="${WW_SOAK_LAYERS:-25}" WW_SOAK_KILL_SECONDS="${WW_SOAK_KILL_SECONDS:-30-60}"
dotnet test tests/WeightWatcher.Cluster.Tests -c Release --no-build --filter "FullyQualifiedName~SoakTests" --logger "console;verbosity=normal" |
  grep -E "soak:|Passed|Failed|Error Message" -A3
