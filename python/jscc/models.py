"""Find shipped models by name (installed share/gr-jscc/models, the source tree, $JSCC_MODEL_PATH) or path."""
import json
import os
import sys

CARD = "model.json"


class ModelError(RuntimeError):
    """A model is missing, incomplete or not what the caller expects."""


def search_dirs():
    dirs = [d for d in os.environ.get("JSCC_MODEL_PATH", "").split(os.pathsep) if d]
    for prefix in dict.fromkeys([sys.prefix, "/usr/local", "/usr"]):
        dirs.append(os.path.join(prefix, "share", "gr-jscc", "models"))
    return dirs


def find_model(name_or_path):
    """Directory of a model given its name (e.g. deepjscc-kn6-awgn-10db) or a path to its folder."""
    if not name_or_path:
        raise ModelError("no model given")
    if os.path.isdir(name_or_path):
        return os.path.abspath(name_or_path)
    if os.sep in name_or_path:
        raise ModelError(f"model folder {name_or_path!r} does not exist")
    for d in search_dirs():
        cand = os.path.join(d, name_or_path)
        if os.path.isfile(os.path.join(cand, CARD)):
            return cand
    raise ModelError(f"model {name_or_path!r} not found; looked in: {', '.join(search_dirs())}; "
                     f"available: {', '.join(available()) or 'none'}")


def available():
    names = set()
    for d in search_dirs():
        if os.path.isdir(d):
            names |= {n for n in os.listdir(d) if os.path.isfile(os.path.join(d, n, CARD))}
    return sorted(names)


def load_card(model_dir):
    path = os.path.join(model_dir, CARD)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ModelError(f"{model_dir} has no {CARD}") from None
    except json.JSONDecodeError as e:
        raise ModelError(f"{path} is not valid JSON: {e}") from None


def save_card(model_dir, card):
    """Write a card atomically (temporary file, then rename): a sweep or a decoder reading the card
    while an evaluation updates it sees the old card or the new one, never half of one."""
    path = os.path.join(model_dir, CARD)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(card, f, indent=1)
    os.replace(tmp, path)
    return path


def reference_snr_db(card):
    """The SNR (dB) at which a learned model's per-image Kodak check and engine deltas are
    measured: the training SNR of a one-SNR model ("snr_train_db"), "snr_reference_db" of an
    SNR-adaptive one; NaN when the card has neither."""
    v = card.get("snr_train_db", card.get("snr_reference_db"))
    return float(v) if v is not None else float("nan")
