"""The LDPC codes (C++, docs/ldpc.md) as Python objects, one per code name, shared."""
import functools


@functools.lru_cache(maxsize=None)
def code(name):
    """ldpc_code for "8192-1/2", "6144-2/3" or "6144-1/3"; ValueError names the codes otherwise."""
    from ..jscc_python import ldpc_code, ldpc_codes
    if name not in ldpc_codes():
        raise ValueError(f"unknown LDPC code {name!r}; codes: {', '.join(ldpc_codes())}")
    return ldpc_code(name)
