"""Codec registry: a card's "codec" field names the class that runs it (CompressAI-style zoo:
models/<name>/model.json for every scheme, learned or not)."""
from ..models import ModelError, available, find_model, load_card

_CODECS = {}


def register(cls):
    """Class decorator: make cls the codec for cards whose "codec" is cls.codec."""
    if not cls.codec or cls.codec in _CODECS:
        raise ValueError(f"codec name {cls.codec!r} is empty or registered twice")
    _CODECS[cls.codec] = cls
    return cls


def codec_names():
    _import_all()
    return sorted(_CODECS)


def codec_class(model):
    """The class that runs a model (name or folder), from its card."""
    _import_all()
    path = find_model(model)
    card = load_card(path)
    name = card.get("codec") if isinstance(card, dict) else None
    if name not in _CODECS:
        raise ModelError(f"{path}: codec {name!r} is not registered; registered codecs: {', '.join(sorted(_CODECS))}")
    return _CODECS[name]


def load(model, **options):
    """A ready codec for a model name or folder: load("jpeg2000"), load("deepjscc-kn6-awgn-10db")."""
    return codec_class(model)(model, **options)


def cards():
    """(name, card) of every model found, for listings and the model_id check."""
    out = []
    for name in available():
        card = load_card(find_model(name))
        out.append((name, card))
    return out


def _import_all():
    # the codec modules register themselves on import
    from . import classical, deepjscc, progressive, rvq  # noqa: F401
