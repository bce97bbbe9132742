"""Speed benchmarks, and thin scripts that measure the product (run from the project root as
``python -m benchmarks.<script>``); ``benchmarks/results/`` keeps what they wrote."""
