"""Training and export for gr-jscc models (imports torch; never used at run time)."""
