"""The package version, in one place: imported by whoever needs it, never by way of the root."""
__version__ = "0.1.0"
