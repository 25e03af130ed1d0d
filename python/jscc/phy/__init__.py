"""The OFDM PHY hier blocks, radio front ends, PHY evaluation."""
