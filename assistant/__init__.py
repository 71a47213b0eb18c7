"""Newsdesk: a chat assistant over news coverage where every answer sentence cites its source.

The pipeline stages are one module each (read, clean, dedup, segment, attribute, embed, index,
retrieve, answer, render); `facade.Assistant` is what the CLI and the app use.
"""

__version__ = "0.1.0"
