"""PostgreSQL only: the pooled engine and the models."""
