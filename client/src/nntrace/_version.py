"""The client's version, its one source: client/pyproject.toml reads it (hatch's dynamic
version), and so does the ``User-Agent`` the client sends."""

__version__ = "0.1.0"
