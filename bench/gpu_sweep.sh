#!/usr/bin/env bash
# The GPU sweep of issue 4: seven torchvision-shipped architectures, float32 and bfloat16, channels_last, each
# beside torchvision's own model, batch 1..256. Writes reports/bench/<device>-<date>-<dtype>.csv.
# Needs a CUDA device, torch, torchvision and (for archstat itself) pyyaml, typer, rich.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports/bench
dev=$(python -c "import torch; print(torch.cuda.get_device_name().replace(' ', '_'))")
day=$(date -u +%Y-%m-%d)
specs="alexnet_torchvision vgg16 googlenet_torchvision resnet50 densenet121 mobilenet_v2 efficientnet_b0"
for dtype in float32 bfloat16; do
  python -m archstat bench $specs --device cuda --dtype "$dtype" --channels-last --against torchvision \
    --batch 1,8,32,128,256 --warmup 10 --iters 50 --output "reports/bench/${dev}-${day}-${dtype}.csv"
done
