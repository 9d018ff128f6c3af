"""The rules, with no Telegram objects in their signatures."""
