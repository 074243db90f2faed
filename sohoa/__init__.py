"""sohoa: what every package shares: errors with exit codes and Vietnamese/English messages."""

__version__ = "0.1.0"
