"""Chunks → records: the grid reader, the LLM, and the strategies that combine them."""
