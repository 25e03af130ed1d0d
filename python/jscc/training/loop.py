"""What every training command shares: learning-rate schedule, warm start, torchrun set-up,
atomic checkpoints and the train.log / val.csv records."""
import csv
import json
import os

import numpy as np
import torch
import torch.distributed as dist


def lr_at(step, steps, lr, lr_min):
    # cosine decay: fast start, fine end
    return lr_min + 0.5 * (lr - lr_min) * (1 + np.cos(np.pi * min(step / steps, 1.0)))


def load_compatible(model, path):
    """Warm start: copy every tensor whose name and shape match (others keep their init)."""
    src = torch.load(path, map_location="cpu", weights_only=False)["model"]
    own = model.state_dict()
    taken = [k for k, v in src.items() if k in own and own[k].shape == v.shape]
    own.update({k: src[k] for k in taken})
    model.load_state_dict(own)
    return taken, sorted(set(own) - set(taken))


def init_distributed(device):
    """(rank, world size); joins the torchrun process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1
    dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return dist.get_rank(), world


def save_atomic(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)  # a kill never leaves a broken checkpoint


def rng_states(rng, world):
    """Every process's numpy generator state (gathered to rank 0 under torchrun)."""
    if world == 1:
        return rng.bit_generator.state
    states = [None] * world
    dist.all_gather_object(states, rng.bit_generator.state)
    return states


def restore_rng(ck, rng, rank, world):
    """Continue the crop and noise draws where a checkpoint left them (same process count only)."""
    if ck.get("world", 1) == world:
        rng.bit_generator.state = ck["np_rng"][rank] if world > 1 else ck["np_rng"]
        torch.set_rng_state(ck["torch_rng"])


def record(log, csv_path, rec, extra=None):
    """One validation record: a JSON line in train.log (rec + extra), a row of val.csv (rec)."""
    log.write(json.dumps({**rec, **(extra or {})}) + "\n")
    log.flush()
    new = not os.path.exists(csv_path)
    with open(csv_path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rec))
        if new:
            w.writeheader()
        w.writerow(rec)
