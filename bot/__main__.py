"""`python -m bot` is `townhall-bot`."""

from bot.cli import main

raise SystemExit(main())
