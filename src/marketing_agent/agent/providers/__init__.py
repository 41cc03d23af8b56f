"""The strategist's providers: offline templates, Anthropic's Claude, OpenAI-compatible servers."""
