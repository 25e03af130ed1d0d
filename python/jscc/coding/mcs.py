"""Modulation and coding schemes: Gray QAM order x LDPC code (the Deep JSCC paper's 12
combinations, plus uncoded QAM). Names: "<modulation>-<rate>", e.g. "16qam-2/3", "qpsk-uncoded".

The OFDM header carries bits_per_symbol and a 2-bit fec id (frame_header FIELDS); FEC_IDS is
the one definition of what that id means.
"""
import dataclasses

MODULATIONS = {"bpsk": 1, "qpsk": 2, "16qam": 4, "64qam": 6}
RATES = {"1/3": "6144-1/3", "1/2": "8192-1/2", "2/3": "6144-2/3"}  # the paper's LDPC codes (docs/ldpc.md)
FEC_IDS = {None: 0, "6144-1/3": 1, "8192-1/2": 2, "6144-2/3": 3}
UNCODED = "uncoded"


@dataclasses.dataclass(frozen=True)
class MCS:
    name: str
    bits_per_symbol: int
    code: str = None         # LDPC code name, None: uncoded

    @property
    def fec_id(self):
        return FEC_IDS[self.code]

    @property
    def rate(self):
        if self.code is None:
            return 1.0
        n, r = self.code.split("-")
        a, b = r.split("/")
        return int(a) / int(b)

    @property
    def bits_per_channel_use(self):
        """Information bits per complex symbol."""
        return self.bits_per_symbol * self.rate


def parse(name):
    """'16qam-2/3' -> MCS; a clear ValueError naming the choices otherwise."""
    if isinstance(name, MCS):
        return name
    mod, _, rate = str(name).lower().partition("-")
    if mod not in MODULATIONS or (rate not in RATES and rate != UNCODED):
        raise ValueError(f"unknown MCS {name!r}: use <modulation>-<rate> with modulation in "
                         f"{', '.join(MODULATIONS)} and rate in {', '.join(RATES)} or {UNCODED}, e.g. qpsk-1/2")
    return MCS(f"{mod}-{rate}", MODULATIONS[mod], RATES.get(rate))


def from_header(bits_per_symbol, fec_id):
    """The MCS a frame header names; ValueError for an id the table does not have."""
    mods = {v: k for k, v in MODULATIONS.items()}
    codes = {v: k for k, v in FEC_IDS.items()}
    if bits_per_symbol not in mods or fec_id not in codes:
        raise ValueError(f"no MCS with bits_per_symbol {bits_per_symbol} and fec id {fec_id}")
    code = codes[fec_id]
    rate = UNCODED if code is None else next(r for r, c in RATES.items() if c == code)
    return parse(f"{mods[bits_per_symbol]}-{rate}")


# the paper's 12 combinations, in order of increasing spectral efficiency per modulation
PAPER = [parse(f"{m}-{r}") for m in MODULATIONS for r in ("1/3", "1/2", "2/3")]
