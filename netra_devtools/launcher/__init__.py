"""The dev launcher: `invoke dev` in compose or local mode, and `down`, `reset`, `logs`."""
