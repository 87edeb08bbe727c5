"""Analytics tools: the spool (`invoke spool`) and the ClickHouse degradation check."""
