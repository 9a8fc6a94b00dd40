"""Operations: what counsellors and administrators run (report, review loop, purge, content check).
Never imported by the running assistant."""
