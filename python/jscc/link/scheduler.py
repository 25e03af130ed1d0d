"""The slot scheduler: one pure function shared by the slot simulator (link/slots.py) and the GNU
Radio Scheduler block (blocks/scheduler_block.py).

Per time slot the channel state gives a budget (information bits, or channel uses when the
MCS is chosen per chunk) and a channel-state estimate (CSI, the SNR the transmitter believes).
Images are served in order; each image's chunks are sent in order and may span slots (the link
fragments them into frames anyway); when an image's planned chunks are all sent, the next image
starts in the same slot with what is left (as LIC_TX). How many chunks an image gets is the
policy's choice, made when the image starts:

- "all": every chunk;
- "groups:K": the first K (LIC_TX sends a fixed 32 of 192 latent channels);
- "target:Q": the fewest chunks whose quality (PSNR, dB) reaches Q (the transmitter has the image
  and measures each prefix), else all;
- "deadline:D": as many chunks as the channel is expected to carry in D slots at the CSI's rate
  (the throughput/quality trade set by the channel state).
"""
import dataclasses


@dataclasses.dataclass
class Job:
    """One image in the transmit queue."""
    key: object                 # identifies the image (e.g. its position in the list)
    sizes: list                 # bytes of each chunk, send order
    qualities: list = None      # PSNR after each prefix (for "target:Q"), optional
    plan: int = 0               # chunks to send, set by the policy at the start
    costs: list = None          # cost of each planned chunk in budget units, set as chunks start
    meta: list = None           # per planned chunk: what the cost function decided (e.g. the MCS)
    sent: float = 0.0           # budget units of the planned chunks already sent
    start: int = None           # slot of the first unit
    end: int = None             # slot of the last unit


@dataclasses.dataclass
class Policy:
    kind: str = "all"
    value: float = 0.0

    @classmethod
    def parse(cls, text):
        """'all', 'groups:4', 'target:30', 'deadline:3' -> Policy; ValueError otherwise."""
        kind, _, v = str(text).partition(":")
        if kind == "all" and not v:
            return cls("all")
        if kind in ("groups", "target", "deadline") and v:
            try:
                value = float(v)
            except ValueError:
                value = None
            if value is not None and value > 0 and (kind != "groups" or value.is_integer()):
                return cls(kind, value)
        raise ValueError(f"unknown policy {text!r}: use all, groups:K, target:PSNR_DB or deadline:SLOTS")

    def __str__(self):
        return self.kind if self.kind == "all" else f"{self.kind}:{self.value:g}"

    def chunks(self, job, unit_cost, expected_per_slot):
        """Chunks to plan for job. unit_cost(n_bytes) -> budget units of a chunk at today's CSI;
        expected_per_slot: budget units one slot is expected to carry."""
        n = len(job.sizes)
        if n == 0:  # nothing to send (an adaptive one-shot codec whose smallest size cannot fit)
            return 0
        if self.kind == "groups":
            return max(1, min(n, int(self.value)))
        if self.kind == "target":
            q = job.qualities or []
            return next((i + 1 for i, v in enumerate(q) if v >= self.value), n)
        if self.kind == "deadline":
            room, k, used = self.value * expected_per_slot, 0, 0.0
            while k < n and used + unit_cost(job.sizes[k]) <= room:
                used += unit_cost(job.sizes[k])
                k += 1
            return max(1, k)  # the base layer always goes: an image is never skipped here
        return n


def schedule(queue, budget, slot, policy, cost, expected_per_slot):
    """Fill one slot. queue: list of Job (served in order, finished ones removed); budget: units
    this slot carries; cost(n_bytes) -> (units, meta) of a chunk started now. Returns
    [(job, chunk, first_unit, units)] sent this slot and the finished jobs, in order."""
    sent, finished = [], []
    left = float(budget)
    while queue and left > 0:
        job = queue[0]
        if job.start is None:
            job.start = slot
            job.plan = policy.chunks(job, lambda b: cost(b)[0], expected_per_slot)
            job.costs, job.meta = [], []
        # the chunk the next unit belongs to, costed when it starts (its MCS follows today's CSI)
        done = sum(job.costs)
        if job.sent >= done:
            if len(job.costs) == job.plan:
                job.end = slot
                finished.append(queue.pop(0))
                continue
            units, meta = cost(job.sizes[len(job.costs)])
            job.costs.append(units)
            job.meta.append(meta)
            done += units
        chunk = len(job.costs) - 1
        take = min(left, done - job.sent)
        sent.append((job, chunk, job.sent - (done - job.costs[chunk]), take))
        job.sent += take
        left -= take
        if job.sent >= sum(job.costs) and len(job.costs) == job.plan:
            job.end = slot
            finished.append(queue.pop(0))
    return sent, finished
