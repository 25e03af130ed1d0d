"""Channel coding without GNU Radio: QAM mapping, MCS table, LDPC, the chunk chain (CRC + LDPC + QAM)."""
