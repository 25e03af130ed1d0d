"""onnxruntime sessions that share 2 cores politely with GNU Radio's threads."""
import os

import onnxruntime as ort


def default_threads():
    return int(os.environ.get("JSCC_ORT_THREADS", "0")) or min(2, os.cpu_count() or 1)


def session(path, threads=0):
    """A CPU session: bounded intra-op threads, no spin-waiting (spinning steals cores from the flowgraph)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"ONNX model file {path} does not exist")
    try:
        return ort.InferenceSession(path, _options(threads), providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types for corrupt files
        raise ValueError(f"{path} is not a loadable ONNX model: {e}") from None


def session_from_bytes(model, threads=0):
    """The same session settings for a serialized model (benchmarks build small graphs in memory)."""
    return ort.InferenceSession(model, _options(threads), providers=["CPUExecutionProvider"])


def _options(threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads or default_threads()
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return so
