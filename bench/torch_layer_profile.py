#!/usr/bin/python3
"""PyTorch's inference time per layer of an experiment file, to set beside runner's
`--profile` column (`runner_bench --worker --threads 2 --experiment FILE --steps 30 --profile`:
"profile_ms_per_1000_inferences"). The model is bench/torch_from_yaml.py's twin of the file,
in eval mode, channels-last, run layer by layer on a batch of random inputs under no_grad;
each layer's time is the median over the repeats, in ms per 1000 images.
  /usr/bin/python3 bench/torch_layer_profile.py FILE.yaml [--threads 2] [--batch 256] [--repeats 40]
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch_from_yaml as twin  # noqa: E402
from torch_cnn import tune_runtime  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="a runner experiment file")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=40)
    args = ap.parse_args()
    tune_runtime(True, 1)
    torch.set_num_threads(args.threads)
    with open(args.model, encoding="utf-8") as f:
        model_cfg = yaml.safe_load(f)["model"]
    shape = model_cfg.get("input_shape", [28, 28, 1])
    input_name = model_cfg.get("input_name", "input_1")
    model = twin.Twin(model_cfg["layers"], shape, input_name, fold_softmax=True).eval()
    images = len(shape) == 3
    x = torch.randn(args.batch, shape[2], shape[0], shape[1]) if images else torch.randn(args.batch, *shape)
    if images:
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    times = {name: [] for name in model.names}
    with torch.no_grad():
        for _ in range(args.repeats):
            values = {input_name: x}
            for name, ins, layer in zip(model.names, model.inputs, model.layers):
                start = time.perf_counter()
                values[name] = layer([values[j] for j in ins])
                times[name].append(time.perf_counter() - start)
    total = 0.0
    for name, samples in times.items():
        ms = statistics.median(samples) / args.batch * 1e6
        total += ms
        print(f"{name:24s} {ms:9.3f} ms per 1000")
    print(f"{'total':24s} {total:9.3f} ms per 1000 ({1e6 / total:.0f} img/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
