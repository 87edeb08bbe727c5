"""The durable on-disk spool: record framing, the segment store, status, adoption of orphans."""
