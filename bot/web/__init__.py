"""The bot's own web pages, served by its aiohttp server beside /healthz and the webhook:
the on-air screen and the host's run order (`screen.py`, pages in `pages.py`)."""
