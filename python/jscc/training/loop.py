"""What every training command shares: learning-rate schedule, warm start, torchrun set-up,
atomic checkpoints and the train.log / val.csv records."""
import csv
import json
import os

import numpy as np
import torch
import torch.distributed as dist

from ..engines import cpu_info


def lr_at(step, steps, lr, lr_min):
    # cosine decay: fast start, fine end
    return lr_min + 0.5 * (lr - lr_min) * (1 + np.cos(np.pi * min(step / steps, 1.0)))


def cpu_has_bf16():
    """Whether the CPU computes bfloat16 natively (AVX512_BF16 or AMX); False where unknown."""
    flags = cpu_info()[1]
    return "avx512_bf16" in flags or "amx_bf16" in flags


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


class Run:
    """What a training command does around its model: processes (torchrun), threads, seeds, the
    training images and the held-back ones, resume / warm start, run.json and checkpoints.

    a: parsed arguments with device, batch, threads, seed, out, data, crop, init_from."""

    def __init__(self, a, ap, app):
        from tqdm import tqdm
        from .data import CropSampler, list_images, split_holdout
        self.rank, self.world = init_distributed(a.device)
        if a.batch % self.world:
            ap.error(f"--batch {a.batch} must be a multiple of the {self.world} processes")
        if self.world > 1 and a.device.startswith("cuda"):
            a.device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
        self.main = self.rank == 0
        self.app, self.device = app, a.device
        self.amp_device = "cuda" if a.device.startswith("cuda") else "cpu"
        if a.threads:
            torch.set_num_threads(a.threads)
        if getattr(a, "bf16", False) and self.amp_device == "cpu" and not cpu_has_bf16():
            self.say("warning: --bf16 on a CPU without native bfloat16 (no avx512_bf16 / amx_bf16 in /proc/cpuinfo): "
                     "autocast is emulated there and much slower than float32 (train_rvq on an AVX2 EPYC: 14.2 s/step "
                     "bf16 vs 1.31 s/step float32); drop --bf16 on this machine")
        os.makedirs(a.out, exist_ok=True)
        self.ckpt_path = os.path.join(a.out, "checkpoint.pt")
        self._resumed = (None, 0)  # (the checkpoint's arguments, its step) once start() resumes
        torch.manual_seed(a.seed)
        self.rng = np.random.default_rng([a.seed, self.rank])  # each process draws its own crops
        paths = list_images(a.data)
        if not paths:
            raise SystemExit(f"no images under {a.data}")
        train_paths, self.val_paths = split_holdout(paths)
        self.say(f"{len(train_paths)} training images, {len(self.val_paths)} held back for validation"
                 + (f"; {self.world} processes" if self.world > 1 else ""))
        self.sampler = CropSampler(train_paths, a.crop, self.rng,
                                   progress=lambda p: tqdm(p, desc="loading", leave=False, disable=not self.main))
        if self.sampler.skipped:
            self.say(f"skipped {len(self.sampler.skipped)} unreadable or smaller-than-crop images")

    def say(self, msg):
        if self.main:
            print(msg, flush=True)

    def start(self, model, opt, init_from=None):
        """Resume from the checkpoint, else warm-start; -> (step, wall seconds, network to call)."""
        step, wall = 0, 0.0
        if os.path.exists(self.ckpt_path):
            ck = torch.load(self.ckpt_path, map_location=self.device, weights_only=False)
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["opt"])
            step, wall = ck["step"], ck["wall_s"]
            self._resumed = (ck["args"], step)
            restore_rng(ck, self.rng, self.rank, self.world)
            self.say(f"resumed at step {step}")
        elif init_from:
            taken, fresh = load_compatible(model, init_from)
            self.say(f"warm start from {init_from}: {len(taken)} tensors copied, fresh: {fresh}")
        net = torch.nn.parallel.DistributedDataParallel(model) if self.world > 1 else model
        return step, wall, net

    def write_meta(self, a, argv, **extra):
        """run.json: the arguments, the command, the images; -> the dict (kept in checkpoints)."""
        import sys
        meta = dict(vars(a), **extra)
        meta["command"] = " ".join([self.app] + (argv if argv is not None else sys.argv[1:]))
        meta["train_images"] = len(self.sampler.images)
        meta["val_images"] = [os.path.basename(p) for p in self.val_paths]
        meta["processes"] = self.world
        # a run resumed with other arguments (a longer --steps, another --lr) keeps what each part ran
        prev, at = self._resumed
        history = list(prev.get("history") or [{"from_step": 0, "command": prev["command"]}]) if prev else []
        if not history or history[-1]["command"] != meta["command"]:
            history.append({"from_step": at, "command": meta["command"]})
        meta["history"] = history
        if self.main:
            with open(os.path.join(a.out, "run.json"), "w") as f:
                json.dump(meta, f, indent=1)
        return meta

    def save(self, model, opt, step, wall, meta):
        states = rng_states(self.rng, self.world)
        if self.main:
            save_atomic({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "wall_s": wall,
                         "np_rng": states, "torch_rng": torch.get_rng_state(), "args": meta, "world": self.world},
                        self.ckpt_path)

    def progress(self, a, step):
        """-> (train.log opened for appending on the main process, the val.csv path, a tqdm bar)."""
        from tqdm import tqdm
        log = open(os.path.join(a.out, "train.log"), "a") if self.main else None
        bar = tqdm(total=a.steps, initial=step, desc=os.path.basename(a.out.rstrip("/")), mininterval=5,
                   disable=not self.main)
        return log, os.path.join(a.out, "val.csv"), bar

    def next_batch(self, a, opt, step):
        """Sets this step's cosine learning rate; -> this process's batch of crops on the device."""
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a.steps, a.lr, a.lr_min)
        return torch.from_numpy(self.sampler.batch(a.batch // self.world)).float().to(a.device)

    def finish(self, a, step, wall, plot):
        """After the last step: plot(rows of val.csv, last train.log record, png path) draws
        <out>/val.png, a closing line, the process group left."""
        if self.main:
            with open(os.path.join(a.out, "val.csv")) as f:
                rows = list(csv.DictReader(f))
            with open(os.path.join(a.out, "train.log")) as f:
                last = [json.loads(line) for line in f if line.strip()][-1]
            import matplotlib
            matplotlib.use("Agg")
            plot(rows, last, os.path.join(a.out, "val.png"))
            print(f"done: {step} steps, {wall / 60:.1f} min ({wall / max(step, 1):.3f} s/step); "
                  f"checkpoint {self.ckpt_path}")
        self.close()

    def close(self):
        if self.world > 1:
            dist.destroy_process_group()


def run_card_fields(ck, app, argv):
    """The card entries every exported model takes from its training checkpoint."""
    import sys
    run = ck["args"]
    return {"warm_start": run.get("init_from"), "processes": run.get("processes", 1), "steps": ck["step"],
            "wall_time_min": round(ck["wall_s"] / 60, 1), "train_command": run["command"],
            **({"train_history": run["history"]} if len(run.get("history", [])) > 1 else {}),
            "export_command": " ".join([app] + (argv if argv is not None else sys.argv[1:]))}
