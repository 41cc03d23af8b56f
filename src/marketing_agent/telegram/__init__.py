"""The telegram module: senders, their transports (simulator, Bot API, Telethon) and the pool."""
