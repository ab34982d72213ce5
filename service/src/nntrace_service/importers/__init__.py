"""Importers of trained models into nntrace networks (no Flask): ONNX, in :mod:`.onnx`."""
