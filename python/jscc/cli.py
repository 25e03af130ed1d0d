"""Argument types the apps share: every numeric option is checked where it is parsed, so a bad
value is a one-line usage error, never a traceback or a silent misbehaviour (an --image-timeout of
0 that splits every image, a negative --expect that never ends, ...).

One rule for durations: a timeout is a number of seconds > 0; leaving the option out means "no
limit". No option takes 0 to mean "never".
"""
import argparse
import math


def _number(kind, lo=None, hi=None, lo_open=False, name=None):
    """An argparse type: kind(text) within [lo, hi] (lo excluded if lo_open), finite."""

    def parse(text):
        try:
            v = kind(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}")
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"{text!r} is not finite")
        if lo is not None and (v < lo or (lo_open and v == lo)):
            raise argparse.ArgumentTypeError(f"{text} must be {'>' if lo_open else '>='} {lo:g}")
        if hi is not None and v > hi:
            raise argparse.ArgumentTypeError(f"{text} must be <= {hi:g}")
        return v

    parse.__name__ = name or kind.__name__  # argparse names the type in its message
    return parse


positive_int = _number(int, 0, lo_open=True, name="positive integer")
nonneg_int = _number(int, 0, name="integer >= 0")
positive_float = _number(float, 0, lo_open=True, name="positive number")
nonneg_float = _number(float, 0, name="number >= 0")
finite_float = _number(float, name="number")
seconds = positive_float  # a duration: > 0 (omit the option for no limit)
fraction = _number(float, 0, 1, name="number in [0, 1]")


def open_fraction(text):
    """A number in (0, 1), e.g. a detection threshold."""
    v = finite_float(text)
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be in (0, 1)")
    return v


def unit_interval(text):
    """A number in [0, 1), e.g. a fractional sample delay."""
    v = finite_float(text)
    if not 0 <= v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be in [0, 1)")
    return v


def power_of_two(text):
    v = positive_int(text)
    if v & (v - 1):
        raise argparse.ArgumentTypeError(f"{text} is not a power of two")
    return v
