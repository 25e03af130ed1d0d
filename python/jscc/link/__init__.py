"""The link layer: chunk reassembly, codec over OFDM halves, loopback flowgraphs."""
