"""townhall-bot: everything that speaks Telegram."""

import os

# Opt in to python-telegram-bot's timedelta durations (RetryAfter.retry_after and friends)
# now: the int form is deprecated since v22.2 and warns on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")
