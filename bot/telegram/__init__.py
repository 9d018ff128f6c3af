"""The Telegram edge: durable polling and the webhook's intake, handlers by role, the
callback codec and the command menus. The only package that imports `telegram`; services
and storage take and return plain values (a test enforces it).

This `__init__` imports nothing, so that the pure callback codec can be used by `render/`
and the services without loading python-telegram-bot.
"""
