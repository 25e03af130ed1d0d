"""Channel models: numpy (sim) and the GNU Radio Channel Simulator; one name = one model everywhere."""
