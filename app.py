"""Newsdesk chat app: `python app.py` (settings from NEWSDESK_* variables or NEWSDESK_SETTINGS).

The first start with no index builds the default index from data/sample/; later starts open it.
Listens on 127.0.0.1:7860 unless NEWSDESK_HOST / NEWSDESK_PORT say otherwise; another address
needs NEWSDESK_AUTH=user:password.
"""

from __future__ import annotations

import os

# Before Gradio or any Hugging Face library is imported: no analytics, no hub look-ups.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import logging  # noqa: E402
import sys  # noqa: E402


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from assistant.errors import NewsdeskError
    from assistant.settings import load_settings
    from assistant.ui import serve

    try:
        serve(load_settings())
    except NewsdeskError as error:
        print(f"newsdesk: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
