"""Shared pytest configuration for opskit's integration tests."""

pytest_plugins = ["pytest_asyncio"]
