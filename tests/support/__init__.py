"""Helpers for the core test-suite: a throwaway PostgreSQL server, fake plugin dists, CLI runs."""
