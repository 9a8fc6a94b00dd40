"""Development tools: benchmarks, evaluation, lookup-table generation, the servers the tests start.
Never imported by the running assistant."""
