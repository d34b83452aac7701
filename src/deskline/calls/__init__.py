"""The call domain: what a call is (model), what PBXs tell us about it (events), and the
tracker that folds events into calls. Pure: no I/O, no database, no web."""
