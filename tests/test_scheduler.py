"""The slot scheduler (a pure function) and the slot simulator's bookkeeping."""
import numpy as np
import pytest
from conftest import EXAMPLE_IMAGES

from gnuradio.jscc import codecs
from gnuradio.jscc.coding import chain, fer, mcs as mcs_table
from gnuradio.jscc.link import slots
from gnuradio.jscc.link.scheduler import Job, Policy, schedule


def bits(n_bytes):
    return 8 * (n_bytes + chain.OVERHEAD), None


def run(queue, budgets, policy=Policy()):
    log, done = [], []
    for t, b in enumerate(budgets):
        out, fin = schedule(queue, b, t, policy, bits, b)
        log.append([(j.key, c, u) for j, c, _, u in out])
        done += fin
    return log, done


def test_chunks_flow_over_slots_and_the_next_image_starts_in_the_same_slot():
    q = [Job("a", [92, 92]), Job("b", [42])]  # 800 + 800 bits, then 400
    log, done = run(q, [1000, 1000, 1000])
    assert log[0] == [("a", 0, 800), ("a", 1, 200)]
    assert log[1] == [("a", 1, 600), ("b", 0, 400)]  # a ends, b starts in the same slot
    assert [(j.key, j.start, j.end) for j in done] == [("a", 0, 1), ("b", 1, 1)]
    assert sum(u for s in log for _, _, u in s) == 2000 and not q


def test_policies():
    sizes, quals = [92, 92, 92, 92], [25.0, 28.0, 30.0, 31.0]
    for policy, want in [("all", 4), ("groups:2", 2), ("groups:9", 4), ("target:29.5", 3), ("target:40", 4),
                         ("deadline:2", 2)]:
        j = Job("x", sizes, quals)
        run([j], [1000] * 10, Policy.parse(policy))
        assert j.plan == want, policy
    for bad in ("groups:0", "groups:1.5", "target", "fastest", "deadline:-1"):
        with pytest.raises(ValueError):
            Policy.parse(bad)


def test_zero_budget_slots_send_nothing_and_wait():
    q = [Job("a", [92])]
    log, done = run(q, [0, 0, 500, 500])
    assert log[:2] == [[], []] and done[0].start == 2 and done[0].end == 3


def test_trace_validation():
    for bad in (np.zeros((2, 2)), np.array([]), np.array([1.0, -1.0]), np.array([1.0, np.nan]),
                np.array(["a", "b"])):
        with pytest.raises(ValueError):
            slots.States.trace(bad, 2 / 3)
    with pytest.raises(ValueError):
        slots.States.trace(np.ones(3), 0)
    assert list(slots.States.trace(np.array([30, 31]), 2 / 3).budget) == [20, 20]


def test_simulated_trace_counts_what_it_sent(tmp_path):
    """Adaptive JPEG 2000 on a constant trace: every image fits its promised size, waiting time is
    the deadline, the bits used add up."""
    scheme = slots.scheme_for(codecs.load("jpeg2000"), deadline=3)
    states = slots.States.trace(np.full(60, 60000.0))
    recs, summ = slots.simulate(scheme, [f"{EXAMPLE_IMAGES}/kodim23.png", f"{EXAMPLE_IMAGES}/kodim05.png"], states)
    assert summ["images_completed"] >= 15 and all(r["delivered"] for r in recs)
    assert all(r["n_bytes"] <= 3 * 60000 // 8 for r in recs)
    assert summ["waiting_slots_p50"] in (3, 4) and summ["bits_used_fraction"] > 0.9
    assert 25 < summ["mean_psnr_db"] < 50


def test_mcs_table_choice():
    assert fer.best(20.0).name == "64qam-2/3"
    assert fer.best(-10.0) is None
    m = fer.best(7.0)
    assert fer.threshold(m) <= 7.0 and m.bits_per_channel_use >= mcs_table.parse("qpsk-2/3").bits_per_channel_use
    assert fer.fer("qpsk-1/2", -5) == 1.0 and fer.fer("qpsk-1/2", 10) == 0.0
