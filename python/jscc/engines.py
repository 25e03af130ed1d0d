"""Inference engines behind one session API: onnxruntime (CPU, or CUDA with onnxruntime-gpu and a
GPU) and OpenVINO (CPU, float32 or bfloat16 on the CPU's matrix units).

    s = engines.session("models/x/decoder.onnx", engine="auto", card=card, graph="decoder")
    y = s.run(x)            # one output; inputs in the graph's order: s.run(image, snr_db)
    s.name                  # e.g. "openvino-bf16": what runs

Names: "onnxruntime" (float32 CPU), "onnxruntime-cuda", "openvino" (float32), "openvino-bf16",
and "auto" (the default): the first of AUTO_ORDER that is installed, works on this machine and is
allowed for the graph. A reduced-precision engine is allowed only where the model's card records
a measured Kodak PSNR within MAX_PSNR_DELTA_DB of float32 for it (card["engines"][name],
written by apps/evaluate.py --engine NAME --update-card) and the graph is not pinned
(card["exact_graphs"]: graphs whose output must be identical on every machine, e.g. entropy
parameters, always run float32 on onnxruntime's CPU provider). JSCC_ENGINE overrides "auto".
An engine that is missing or fails to load the graph is reported and auto falls back to the
next one; an engine asked for by name that cannot run is an error. Threads are bounded and no
engine spins (spinning steals cores from the flowgraph); JSCC_ORT_THREADS / threads set them.
"""
import logging
import os

import numpy as np

log = logging.getLogger("gnuradio.jscc.engines")

NAMES = ("onnxruntime", "onnxruntime-cuda", "openvino", "openvino-bf16")
REDUCED = {"openvino-bf16"}           # engines whose arithmetic is not float32
AUTO_ORDER = ("onnxruntime-cuda", "openvino-bf16", "openvino", "onnxruntime")  # fastest first (apps/benchmark.py)
MAX_PSNR_DELTA_DB = 0.05


class EngineError(RuntimeError):
    """An engine that cannot run a graph here."""


class EngineUnavailable(EngineError):
    """The engine is not installed or has no device on this machine."""


MATRIX_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")  # what decides speed here


def cpu_info():
    """(model name, set of /proc/cpuinfo flags) of this CPU; ("", set()) where unknown. The engines'
    speed depends on these: bfloat16 and int8 matrix units exist only with avx512_bf16 / amx_*."""
    model, flags = "", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and not model:
                    model = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return model, flags


def default_threads(threads=0):
    return threads or int(os.environ.get("JSCC_ORT_THREADS", "0")) or min(2, os.cpu_count() or 1)


# --- onnxruntime ---------------------------------------------------------------------------------
def _ort_options(threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = default_threads(threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return so


class OrtSession:
    def __init__(self, model, threads=0, cuda=False):
        import onnxruntime as ort
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if cuda else ["CPUExecutionProvider"]
        if cuda and "CUDAExecutionProvider" not in ort.get_available_providers():
            raise EngineUnavailable("onnxruntime-cuda: onnxruntime has no CUDA provider here (install "
                                    "onnxruntime-gpu: make setup GPU=1)")
        try:
            self._s = ort.InferenceSession(model, _ort_options(threads), providers=providers)
        except Exception as e:  # onnxruntime raises its own types for corrupt files and missing CUDA libraries
            raise EngineError(f"{_what(model)} is not a loadable ONNX model (onnxruntime: {e})") from None
        if cuda and self._s.get_providers()[0] != "CUDAExecutionProvider":
            raise EngineUnavailable("onnxruntime-cuda: the CUDA provider did not start (no GPU or driver?)")
        self.name = "onnxruntime-cuda" if cuda else "onnxruntime"
        self.input_names = [i.name for i in self._s.get_inputs()]
        self.input_shape = self._s.get_inputs()[0].shape
        self.output_shape = self._s.get_outputs()[0].shape

    def run(self, *xs):
        if len(xs) != len(self.input_names):
            raise ValueError(f"the graph takes {len(self.input_names)} inputs {self.input_names}, got {len(xs)}")
        return self._s.run(None, dict(zip(self.input_names, xs)))[0]


# --- OpenVINO ------------------------------------------------------------------------------------
class OvSession:
    """OpenVINO compiles for one input shape; images come in a few sizes (portrait, landscape), so
    compiled models are kept per shape (a handful at most)."""

    MAX_SHAPES = 4

    def __init__(self, model, threads=0, precision="f32"):
        try:
            import openvino as ov
        except ImportError:
            raise EngineUnavailable("openvino: not installed (pip install openvino)") from None
        self._core = ov.Core()
        if precision == "bf16" and "BF16" not in self._core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
            raise EngineUnavailable("openvino-bf16: this CPU has no bfloat16 support")
        try:
            self._model = self._core.read_model(model) if isinstance(model, str) else \
                self._core.read_model(model=bytes(model), weights=b"")
        except Exception as e:
            raise EngineError(f"{_what(model)} is not a loadable ONNX model (openvino: {str(e).splitlines()[0]})") from None
        self._cfg = {"INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": default_threads(threads),
                     "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY", "ENABLE_CPU_PINNING": False}
        self.name = "openvino-bf16" if precision == "bf16" else "openvino"
        self.input_names = [i.get_any_name() for i in self._model.inputs]
        self.input_shape = [d.get_length() if d.is_static else None for d in self._model.inputs[0].get_partial_shape()]
        self.output_shape = [d.get_length() if d.is_static else None
                             for d in self._model.outputs[0].get_partial_shape()]
        self._compiled = {}

    def _request(self, shapes):
        req = self._compiled.get(shapes)
        if req is None:
            if len(self._compiled) >= self.MAX_SHAPES:
                self._compiled.pop(next(iter(self._compiled)))
            m = self._model.clone()
            m.reshape({port: list(shape) for port, shape in zip(m.inputs, shapes)})
            try:
                req = self._core.compile_model(m, "CPU", self._cfg).create_infer_request()
            except Exception as e:
                raise EngineError(f"{self.name} cannot compile the graph for inputs {shapes}: {e}") from None
            self._compiled[shapes] = req
        return req

    def run(self, *xs):
        if len(xs) != len(self.input_names):
            raise ValueError(f"the graph takes {len(self.input_names)} inputs {self.input_names}, got {len(xs)}")
        req = self._request(tuple(tuple(x.shape) for x in xs))
        return np.array(req.infer(dict(enumerate(xs)))[0], copy=True)  # the request reuses its output buffer


def _what(model):
    return model if isinstance(model, str) else "the in-memory graph"


def _make(name, model, threads):
    if name == "onnxruntime":
        return OrtSession(model, threads)
    if name == "onnxruntime-cuda":
        return OrtSession(model, threads, cuda=True)
    if name == "openvino":
        return OvSession(model, threads, "f32")
    if name == "openvino-bf16":
        return OvSession(model, threads, "bf16")
    raise EngineError(f"unknown engine {name!r}; engines: auto, {', '.join(NAMES)}")


def allowed(name, card=None, graph=None):
    """Whether auto may use engine `name` for this graph: float32 engines always; a reduced
    precision only with a measured PSNR delta within MAX_PSNR_DELTA_DB on the card, and never for
    a graph the card pins."""
    card = card or {}
    if graph is not None and graph in card.get("exact_graphs", ()):
        return name == "onnxruntime"
    if name not in REDUCED:
        return True
    m = card.get("engines", {}).get(name, {})
    d = m.get("kodak_psnr_delta_db")
    return d is not None and abs(d) <= MAX_PSNR_DELTA_DB


def choose(card=None, graph=None):
    """The engine "auto" (or JSCC_ENGINE) would pick for a graph, without loading it: the first of
    AUTO_ORDER that is available here and allowed by the card."""
    forced = os.environ.get("JSCC_ENGINE")
    if forced and forced != "auto":
        return forced
    here = available()
    return next((n for n in AUTO_ORDER if n in here and allowed(n, card, graph)), "onnxruntime")


def session(model, engine="auto", threads=0, card=None, graph=None):
    """A session for an ONNX file (path) or serialized graph (bytes). See the module's docstring."""
    if isinstance(model, str) and not os.path.isfile(model):
        raise FileNotFoundError(f"ONNX model file {model} does not exist")
    engine = os.environ.get("JSCC_ENGINE") or engine or "auto"
    if engine != "auto":
        if graph is not None and graph in (card or {}).get("exact_graphs", ()) and engine != "onnxruntime":
            raise EngineError(f"graph {graph} is pinned to float32 onnxruntime (card exact_graphs); "
                              f"it cannot run on {engine}")
        return _make(engine, model, threads)
    unavailable, failed = [], []
    for name in AUTO_ORDER:
        if not allowed(name, card, graph):
            continue
        try:
            s = _make(name, model, threads)
        except EngineUnavailable as e:
            unavailable.append(str(e))
            continue
        except EngineError as e:  # this engine cannot load the graph: try the next, say so
            failed.append(str(e))
            log.warning("engine auto: %s failed (%s); trying the next engine", name, e)
            continue
        log.info("engine auto: %s", name)
        return s
    raise EngineError(failed[0] if failed else "no inference engine is available: " + "; ".join(unavailable))


def available():
    """Engines installed and with a device on this machine (cheap: no graph is compiled)."""
    out = []
    try:
        import onnxruntime as ort
        out.append("onnxruntime")
        if "CUDAExecutionProvider" in ort.get_available_providers():
            out.append("onnxruntime-cuda")
    except ImportError:
        pass
    try:
        import openvino as ov
        out.append("openvino")
        if "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
            out.append("openvino-bf16")
    except ImportError:
        pass
    return out
