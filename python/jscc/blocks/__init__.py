"""GNU Radio blocks (message and stream) that wrap the cores."""
