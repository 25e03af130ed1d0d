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
    # an image with nothing to send (adaptive WebP whose smallest size cannot fit) is planned as
    # nothing under every policy, and the next image goes in the same slot (it crashed the scheduler)
    for policy in ("all", "groups:2", "target:29.5", "deadline:2"):
        q = [Job("empty", []), Job("y", [42])]
        log, done = run(q, [1000], Policy.parse(policy))
        assert [j.key for j in done] == ["empty", "y"] and done[0].plan == 0 and log[0] == [("y", 0, 400)], policy
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


def test_slot_scheduler_block_releases_chunks_in_slots_with_the_csi_mcs():
    """Two images of three chunks: released in order, at most what the slots allow, each chunk
    with the fastest MCS the last CSI message allows; bad CSI messages are counted, not fatal."""
    import pmt
    from conftest import run_msgs
    from gnuradio import jscc
    from gnuradio.jscc import meta as M
    from gnuradio.jscc.pmtio import to_pmt
    sched = jscc.slot_scheduler("all", slot_symbols=4096, margin_db=0.0, mcs="adaptive", initial_snr_db=20.0,
                                slot_s=0.05)
    msgs = []
    for img in range(2):
        for c in range(3):
            meta = M.with_entries(pmt.make_dict(), image_id=img, chunk=c, chunk_count=3)
            msgs.append(pmt.cons(meta, to_pmt(np.full(900, c, np.uint8))))
    out = run_msgs(sched, msgs, 6, timeout=30)
    got = [M.to_dict(pmt.car(m)) for m in out]
    assert [(d["image_id"], d["chunk"]) for d in got] == [(i, c) for i in range(2) for c in range(3)]
    assert all(d["mcs"] == "64qam-2/3" for d in got)  # 20 dB: the fastest MCS
    slots_ = [d["slot"] for d in got]
    assert slots_ == sorted(slots_) and slots_[-1] >= 1  # 6 chunks of ~1.4k symbols need 2+ slots of 4096
    # a CSI message lowers the next chunks' MCS; garbage on the csi port is counted
    sched2 = jscc.slot_scheduler("all", slot_symbols=100000, margin_db=0.0, initial_snr_db=20.0, slot_s=0.05)
    tb_msgs = [pmt.intern("junk"), M.with_entries(pmt.make_dict(), snr_db=2.0)]
    for m in tb_msgs:
        sched2._post(pmt.intern("csi"), m)
    import time
    time.sleep(0.2)
    out = run_msgs(sched2, msgs[:3], 3, timeout=30)
    assert {M.to_dict(pmt.car(m))["mcs"] for m in out} == {fer.best(2.0, 1e-2, 0.0).name}
    assert sched2.stats()["dropped"] == 1 and sched2.stats()["csi"] == 1


def test_slot_scheduler_paced_by_the_transmitter_survives_a_drained_queue():
    """Paced by progress() (the transmitter's symbols), an image that arrives after the queue ran
    empty in a part-filled slot is still sent: the pacing once waited for whole slots the
    transmitter never emitted (a hang when the encoder was slower than the link). A transmitter
    that stops taking symbols ends the slot after stall_s, counted as a stall."""
    import time
    import pmt
    from gnuradio import blocks, gr, jscc
    from conftest import wait_for
    from gnuradio.jscc import meta as M
    from gnuradio.jscc.pmtio import to_pmt

    def image(i, n=300):  # 300 bytes: ~2,500 qpsk-1/2 symbols, far below half a slot
        meta = M.with_entries(pmt.make_dict(), image_id=i, chunk=0, chunk_count=1)
        return pmt.cons(meta, to_pmt(np.full(n, i, np.uint8)))

    for stalled in (False, True):
        sched = jscc.slot_scheduler("all", slot_symbols=12288, mcs="qpsk-1/2", stall_s=0.5)
        dbg = blocks.message_debug()
        # the transmitter: takes every released chunk's symbols at once (or, stalled, none)
        sched.progress = lambda: 0 if stalled else sum(
            chain.n_symbols(pmt.length(pmt.cdr(dbg.get_message(i))), "qpsk-1/2") for i in range(dbg.num_messages()))
        tb = gr.top_block()
        tb.msg_connect(sched, "out", dbg, "store")
        tb.start()
        try:
            sched._post(pmt.intern("in"), image(0, 3000 if stalled else 300))  # stalled: over a slot
            wait_for(lambda: dbg.num_messages() >= 1, 10)
            time.sleep(0.3)  # the queue runs empty; the next image comes late
            sched._post(pmt.intern("in"), image(1))
            wait_for(lambda: dbg.num_messages() >= 2, 10)
        finally:
            tb.stop()
            tb.wait()
        assert [M.to_dict(pmt.car(dbg.get_message(i)))["image_id"] for i in range(2)] == [0, 1]
        assert (sched.stats()["stalls"] > 0) == stalled
