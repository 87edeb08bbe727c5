"""Analytics: the ClickHouse client, its schema, and where rows wait while it is away."""
