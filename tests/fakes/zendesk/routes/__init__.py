"""HTTP routes of the emulator, one module per area."""
